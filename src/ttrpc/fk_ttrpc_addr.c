/* SPDX-License-Identifier: Apache-2.0 */
/* ttrpc endpoints: Unix path or loopback TCP (fk_ttrpc_addr.h). */
#include "ttrpc/fk_ttrpc_addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

bool fk_ttrpc_addr_is_tcp(const char *spec)
{
	return spec != NULL && strncasecmp(spec, FK_TTRPC_TCP_PREFIX, strlen(FK_TTRPC_TCP_PREFIX)) == 0;
}

/* Decimal 0..65535, no sign, no leading zeros beyond "0", nothing after. */
static bool parse_port(const char *s, unsigned *port)
{
	unsigned v = 0;

	if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10u + (unsigned)(*s - '0');
		if (v > 65535u)
			return false;
	}
	*port = v;
	return true;
}

fusekey_status fk_ttrpc_addr_parse_tcp(const char *spec, bool allow_port0,
				       struct sockaddr_storage *sa, socklen_t *len)
{
	char host[64];
	const char *h, *colon;
	unsigned port = 0;
	size_t hl;

	if (sa == NULL || len == NULL || !fk_ttrpc_addr_is_tcp(spec))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	memset(sa, 0, sizeof(*sa));
	h = spec + strlen(FK_TTRPC_TCP_PREFIX);
	colon = strrchr(h, ':');
	if (colon == NULL || !parse_port(colon + 1, &port) || (port == 0 && !allow_port0))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	hl = (size_t)(colon - h);
	if (hl == 0 || hl >= sizeof(host))
		return FUSEKEY_ERR_INVALID_PARAMETER;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (host[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
		if (hl < 3 || host[hl - 1] != ']')
			return FUSEKEY_ERR_INVALID_PARAMETER;
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1 ||
		    !IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr))
			return FUSEKEY_ERR_INVALID_PARAMETER;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
		/* 127.0.0.0/8 only: the key service is never on a network. */
		s4->sin_family = AF_INET;
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1 || !fk_ttrpc_addr_is_loopback(sa))
			return FUSEKEY_ERR_INVALID_PARAMETER;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
	}
	return FUSEKEY_OK;
}

bool fk_ttrpc_addr_is_loopback(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127u;
	if (sa->ss_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

fusekey_status fk_ttrpc_addr_of_socket(int fd, char *buf, size_t buflen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN];
	int n;

	if (buf == NULL || buflen == 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		return FUSEKEY_ERR_IO;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)&ss;
		if (inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host)) == NULL)
			return FUSEKEY_ERR_IO;
		n = snprintf(buf, buflen, "tcp:%s:%u", host, (unsigned)ntohs(s4->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&ss;
		if (inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host)) == NULL)
			return FUSEKEY_ERR_IO;
		n = snprintf(buf, buflen, "tcp:[%s]:%u", host, (unsigned)ntohs(s6->sin6_port));
	} else {
		return FUSEKEY_ERR_INVALID_PARAMETER;
	}
	return n > 0 && (size_t)n < buflen ? FUSEKEY_OK : FUSEKEY_ERR_INVALID_PARAMETER;
}
