/* SPDX-License-Identifier: Apache-2.0 */
/* Every fuzz target defines the libFuzzer entry point; replay_main.c drives it
 * over a corpus without libFuzzer, so `make test` replays the seeds. */
#ifndef FK_FUZZ_H
#define FK_FUZZ_H
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#endif
