/* SPDX-License-Identifier: Apache-2.0 */
/* Replays corpus files (or every file of corpus directories) through a fuzz
 * target without libFuzzer, printing TAP: one case per input file. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "util/fk_file.h"

static unsigned n;

static void run_file(const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	if (fk_file_read(path, 1u << 20, &buf, &len) != FUSEKEY_OK) {
		printf("not ok %u - %s (unreadable)\n", ++n, path);
		return;
	}
	LLVMFuzzerTestOneInput(buf, len); /* aborts on a property violation */
	fk_file_free(buf, len);
	printf("ok %u - %s\n", ++n, path);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		struct stat sb;
		if (stat(argv[i], &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			run_file(argv[i]);
			continue;
		}
		struct dirent **names = NULL;
		int count = scandir(argv[i], &names, NULL, alphasort);
		for (int j = 0; j < count; j++) {
			char path[4096];
			if (names[j]->d_name[0] != '.' &&
			    snprintf(path, sizeof(path), "%s/%s", argv[i], names[j]->d_name) <
				    (int)sizeof(path))
				run_file(path);
			free(names[j]);
		}
		free(names);
	}
	printf("1..%u\n", n);
	return 0;
}
