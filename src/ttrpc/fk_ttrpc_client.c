/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ttrpc client (docs/ttrpc.md): a non-blocking socket driven by poll(), so
 * every wait has a deadline, and a send blocked by a full socket keeps
 * reading responses (a pipelining caller never deadlocks against the
 * server's back-pressure). Responses are matched to calls by stream id.
 */
#include "ttrpc/fk_ttrpc_client.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ttrpc/fk_ttrpc_addr.h"
#include "util/fk_time.h"

enum {
	READ_BUF = 16 * 1024,
	/* A server whose backlog stays full this long counts as a timeout. */
	CONNECT_TIMEOUT_S = 5,
};

/* A sched_yield() that returns later than this ran someone else: the CPUs are busy. */
#define SPIN_YIELD_SLICE_NS 20000u

/* A call sent and not yet waited for. */
struct call {
	struct call *next;
	uint32_t id;
	bool done;
	fusekey_status st;
	struct fk_ttrpc_result res;
};

struct fk_ttrpc_client {
	int fd;
	uint64_t next_id; /* odd; past UINT32_MAX the connection is used up */
	fusekey_status dead; /* FUSEKEY_OK while usable */
	bool got_reply;      /* a Response arrived: later EOF is IO, not UNAVAILABLE */
	uint32_t spin_us;    /* fk_ttrpc_client_set_spin */
	struct call *calls;
	/* the frame being received */
	uint8_t hdr[FK_TTRPC_HDR_SIZE];
	size_t hdr_got;
	bool in_body;
	uint32_t body_len, body_got, stream_id;
	uint8_t type;
	uint8_t *body;
	size_t r_off, r_end;
	uint8_t rbuf[READ_BUF];
};

/* The connection is unusable from now on; the error every call gets. */
static fusekey_status kill_conn(struct fk_ttrpc_client *c, fusekey_status st)
{
	if (c->dead == FUSEKEY_OK)
		c->dead = st;
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	return c->dead;
}

/* The peer went away: before any reply it is not a service we can use. */
static fusekey_status lost(struct fk_ttrpc_client *c)
{
	return kill_conn(c, c->got_reply ? FUSEKEY_ERR_IO : FUSEKEY_ERR_UNAVAILABLE);
}

static struct call *find_call(struct fk_ttrpc_client *c, uint32_t id, struct call ***link)
{
	struct call **pp = &c->calls;
	for (; *pp != NULL; pp = &(*pp)->next)
		if ((*pp)->id == id) {
			if (link != NULL)
				*link = pp;
			return *pp;
		}
	return NULL;
}

static void frame_done(struct fk_ttrpc_client *c)
{
	struct call *k;

	c->in_body = false;
	if (c->type != FK_TTRPC_TYPE_RESPONSE)
		goto out; /* nothing else is defined for unary calls: ignore */
	k = find_call(c, c->stream_id, NULL);
	if (k == NULL || k->done)
		goto out; /* a late reply to an abandoned call: dropped */
	c->got_reply = true;
	k->st = fk_ttrpc_response_decode(c->body, c->body_len, &k->res);
	k->done = true;
out:
	fk_wipe_free(c->body, c->body_len);
	c->body = NULL;
}

/* Frames out of the read buffer; responses stored with their calls. */
static fusekey_status parse(struct fk_ttrpc_client *c)
{
	while (c->r_off < c->r_end) {
		size_t avail = c->r_end - c->r_off, take;
		if (!c->in_body) {
			take = FK_TTRPC_HDR_SIZE - c->hdr_got;
			if (take > avail)
				take = avail;
			memcpy(c->hdr + c->hdr_got, c->rbuf + c->r_off, take);
			c->hdr_got += take;
			c->r_off += take;
			if (c->hdr_got < FK_TTRPC_HDR_SIZE)
				break;
			c->hdr_got = 0;
			c->body_len = fk_be32(c->hdr);
			c->stream_id = fk_be32(c->hdr + 4);
			c->type = c->hdr[8];
			/* A server must never send this (a Go 1.1 client would crash). */
			if (c->body_len > FK_TTRPC_MAX_DATA)
				return kill_conn(c, FUSEKEY_ERR_FORMAT);
			c->in_body = true;
			c->body_got = 0;
			if (c->body_len != 0) {
				c->body = malloc(c->body_len);
				if (c->body == NULL)
					return kill_conn(c, FUSEKEY_ERR_NO_MEMORY);
			}
			avail = c->r_end - c->r_off;
		}
		take = c->body_len - c->body_got;
		if (take > avail)
			take = avail;
		if (take != 0)
			memcpy(c->body + c->body_got, c->rbuf + c->r_off, take);
		c->body_got += (uint32_t)take;
		c->r_off += take;
		if (c->body_got == c->body_len)
			frame_done(c);
	}
	if (c->r_off == c->r_end)
		c->r_off = c->r_end = 0;
	return FUSEKEY_OK;
}

/* One read (the socket is readable or about to be); 0 bytes is EOF. */
static fusekey_status read_some(struct fk_ttrpc_client *c)
{
	ssize_t n;

	if (c->in_body && c->r_off == c->r_end && c->body_len - c->body_got >= READ_BUF) {
		/* A large body goes straight to its buffer. */
		n = read(c->fd, c->body + c->body_got, c->body_len - c->body_got);
		if (n > 0) {
			c->body_got += (uint32_t)n;
			if (c->body_got == c->body_len)
				frame_done(c);
			return FUSEKEY_OK;
		}
	} else {
		n = read(c->fd, c->rbuf + c->r_end, sizeof(c->rbuf) - c->r_end);
		if (n > 0) {
			c->r_end += (size_t)n;
			return parse(c);
		}
	}
	if (n == 0)
		return lost(c);
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return FUSEKEY_OK;
	return errno == ECONNRESET ? lost(c) : kill_conn(c, FUSEKEY_ERR_IO);
}

/*
 * Write the whole frame by the deadline, reading responses meanwhile.
 * A frame cut in the middle leaves the stream unusable.
 */
static fusekey_status send_all(struct fk_ttrpc_client *c, struct iovec *iov, size_t niov,
			       uint64_t deadline)
{
	size_t sent = 0;

	while (niov > 0) {
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = niov};
		struct pollfd pfd = {.fd = c->fd, .events = POLLOUT | POLLIN};
		ssize_t n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		int r;

		if (n >= 0) {
			size_t w = (size_t)n;
			sent += w;
			while (niov > 0 && w >= iov->iov_len) {
				w -= iov->iov_len;
				iov++;
				niov--;
			}
			if (niov > 0) {
				iov->iov_base = (uint8_t *)iov->iov_base + w;
				iov->iov_len -= w;
			}
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EPIPE || errno == ECONNRESET)
			return lost(c);
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return kill_conn(c, FUSEKEY_ERR_IO);
		r = poll(&pfd, 1, fk_ms_until(deadline));
		if (r < 0 && errno != EINTR)
			return kill_conn(c, FUSEKEY_ERR_IO);
		if (r == 0)
			return sent == 0 ? FUSEKEY_ERR_TIMEOUT : kill_conn(c, FUSEKEY_ERR_IO);
		if (r > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
			fusekey_status st = read_some(c);
			if (st != FUSEKEY_OK)
				return st;
		}
	}
	return FUSEKEY_OK;
}

static fusekey_status do_send(struct fk_ttrpc_client *c, const char *service, const char *method,
			      const uint8_t *payload, size_t len, const struct fk_ttrpc_kv *md,
			      size_t n_md, int64_t timeout_ns, uint64_t deadline, uint32_t *stream_id)
{
	struct fk_ttrpc_hdr hdr;
	struct iovec iov[2];
	struct call *k = NULL;
	uint8_t *body = NULL;
	size_t body_len = 0;
	fusekey_status st;

	if (c->dead != FUSEKEY_OK)
		return c->dead;
	/* Odd ids up to 2^32 - 1: the connection is used up after 2^31 calls. */
	if (c->next_id > UINT32_MAX)
		return FUSEKEY_ERR_INVALID_STATE;
	st = fk_ttrpc_request_encode(service, method, payload, len, timeout_ns, md, n_md, &body,
				     &body_len);
	if (st != FUSEKEY_OK)
		return st;
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		st = FUSEKEY_ERR_NO_MEMORY;
		goto out;
	}
	k->id = (uint32_t)c->next_id;
	fk_ttrpc_hdr_put(&hdr, (uint32_t)body_len, k->id, FK_TTRPC_TYPE_REQUEST);
	iov[0].iov_base = &hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = body;
	iov[1].iov_len = body_len;
	st = send_all(c, iov, body_len != 0 ? 2 : 1, deadline);
	if (st != FUSEKEY_OK)
		goto out;
	c->next_id += 2;
	k->next = c->calls;
	c->calls = k;
	*stream_id = k->id;
	k = NULL;
out:
	free(k);
	fk_wipe_free(body, body_len);
	return st;
}

/*
 * Read without sleeping for up to spin_us. A yield that took long means
 * others wanted this CPU: stop, sleeping is cheaper for everyone then.
 */
static fusekey_status spin(struct fk_ttrpc_client *c, const struct call *k, uint64_t deadline)
{
	uint64_t now = fk_mono_ns(), until = now + c->spin_us * 1000ull;

	if (deadline != 0 && deadline < until)
		until = deadline; /* the call's deadline bounds the spin too */

	while (!k->done && c->dead == FUSEKEY_OK && now < until) {
		uint64_t before;
		fusekey_status st = read_some(c);
		if (st != FUSEKEY_OK || k->done)
			return st;
		before = fk_mono_ns();
		sched_yield();
		now = fk_mono_ns();
		if (now - before > SPIN_YIELD_SLICE_NS)
			break;
	}
	return FUSEKEY_OK;
}

static fusekey_status do_wait(struct fk_ttrpc_client *c, uint32_t stream_id, uint64_t deadline,
			      struct fk_ttrpc_result *res)
{
	struct call **link = NULL;
	struct call *k = find_call(c, stream_id, &link);
	fusekey_status st = FUSEKEY_OK;

	if (k == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	if (c->spin_us != 0)
		st = spin(c, k, deadline);
	while (st == FUSEKEY_OK && !k->done) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		int r;

		if (c->dead != FUSEKEY_OK) {
			st = c->dead;
			break;
		}
		r = poll(&pfd, 1, fk_ms_until(deadline));
		if (r < 0 && errno != EINTR) {
			st = kill_conn(c, FUSEKEY_ERR_IO);
			break;
		}
		if (r == 0) {
			st = FUSEKEY_ERR_TIMEOUT; /* abandoned: a late reply is dropped */
			break;
		}
		if (r > 0) {
			st = read_some(c);
			if (st != FUSEKEY_OK)
				break;
		}
	}
	if (k->done) {
		st = k->st;
		if (st == FUSEKEY_OK)
			*res = k->res;
		else
			fk_ttrpc_result_free(&k->res);
	}
	/* The list may have changed while reading: find the link again. */
	(void)find_call(c, stream_id, &link);
	*link = k->next;
	free(k);
	return st;
}

fusekey_status fk_ttrpc_client_send(struct fk_ttrpc_client *c, const char *service,
				    const char *method, const uint8_t *payload, size_t len,
				    const struct fk_ttrpc_kv *md, size_t n_md, int64_t timeout_ns,
				    uint32_t *stream_id)
{
	if (stream_id != NULL)
		*stream_id = 0;
	if (c == NULL || stream_id == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	return do_send(c, service, method, payload, len, md, n_md, timeout_ns,
		       fk_deadline_after(timeout_ns), stream_id);
}

fusekey_status fk_ttrpc_client_wait(struct fk_ttrpc_client *c, uint32_t stream_id,
				    int64_t timeout_ns, struct fk_ttrpc_result *res)
{
	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if (c == NULL || res == NULL || timeout_ns < 0)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	return do_wait(c, stream_id, fk_deadline_after(timeout_ns), res);
}

fusekey_status fk_ttrpc_client_call(struct fk_ttrpc_client *c, const char *service,
				    const char *method, const uint8_t *payload, size_t len,
				    const struct fk_ttrpc_kv *md, size_t n_md, int64_t timeout_ns,
				    struct fk_ttrpc_result *res)
{
	uint64_t deadline = fk_deadline_after(timeout_ns);
	uint32_t id;
	fusekey_status st;

	if (res != NULL)
		memset(res, 0, sizeof(*res));
	if (c == NULL || res == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	st = do_send(c, service, method, payload, len, md, n_md, timeout_ns, deadline, &id);
	if (st != FUSEKEY_OK)
		return st;
	return do_wait(c, id, deadline, res);
}

fusekey_status fk_ttrpc_client_connect(const char *path, struct fk_ttrpc_client **out)
{
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	struct timeval tv = {.tv_sec = CONNECT_TIMEOUT_S};
	struct fk_ttrpc_client *c = NULL;
	int fd = -1, fl, one = 1;
	bool tcp = fk_ttrpc_addr_is_tcp(path);
	fusekey_status st = FUSEKEY_ERR_INVALID_PARAMETER;

	if (out != NULL)
		*out = NULL;
	if (path == NULL || out == NULL || path[0] == '\0')
		goto out;
	if (tcp) {
		if (fk_ttrpc_addr_parse_tcp(path, false, &ss, &sl) != FUSEKEY_OK)
			goto out;
	} else {
		struct sockaddr_un *sa = (struct sockaddr_un *)&ss;
		if (strlen(path) >= sizeof(sa->sun_path))
			goto out;
		memset(&ss, 0, sizeof(ss));
		sa->sun_family = AF_UNIX;
		memcpy(sa->sun_path, path, strlen(path) + 1);
		sl = sizeof(*sa);
	}

	st = FUSEKEY_ERR_IO;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto out;
	/* A blocking connect waits while the server's backlog is full: bound it. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0)
		goto out;
	/* Small request/reply messages: never wait for Nagle (best effort: a libOS may not have it). */
	if (tcp)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (connect(fd, (const struct sockaddr *)&ss, sl) != 0) {
		if (errno == EINTR)
			continue;
		switch (errno) {
		case ENOENT:
		case ENOTDIR:
		case ECONNREFUSED:
		case ENOTSOCK:
		case EPROTOTYPE:
			st = FUSEKEY_ERR_UNAVAILABLE; /* nothing serves ttrpc there */
			break;
		case EACCES:
		case EPERM:
			st = FUSEKEY_ERR_PERMISSION;
			break;
		case EAGAIN:
		case EINPROGRESS:
			st = FUSEKEY_ERR_TIMEOUT;
			break;
		default:
			st = FUSEKEY_ERR_IO;
		}
		goto out;
	}
	tv.tv_sec = 0;
	fl = fcntl(fd, F_GETFL);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 || fl < 0 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
		goto out;
	st = FUSEKEY_ERR_NO_MEMORY;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto out;
	c->fd = fd;
	fd = -1;
	c->next_id = 1;
	*out = c;
	st = FUSEKEY_OK;
out:
	if (fd >= 0)
		close(fd);
	return st;
}

void fk_ttrpc_client_free(struct fk_ttrpc_client *c)
{
	if (c == NULL)
		return;
	while (c->calls != NULL) {
		struct call *k = c->calls;
		c->calls = k->next;
		fk_ttrpc_result_free(&k->res);
		free(k);
	}
	fk_wipe_free(c->body, c->body_len);
	if (c->fd >= 0)
		close(c->fd);
	fk_wipe(c, sizeof(*c));
	free(c);
}

int fk_ttrpc_client_fd(const struct fk_ttrpc_client *c)
{
	return c == NULL ? -1 : c->fd;
}

void fk_ttrpc_client_set_spin(struct fk_ttrpc_client *c, uint32_t spin_us)
{
	if (c != NULL)
		c->spin_us = spin_us > FK_TTRPC_MAX_SPIN_US ? FK_TTRPC_MAX_SPIN_US : spin_us;
}
