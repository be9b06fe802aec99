/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ttrpc server: one epoll loop, level-triggered, non-blocking sockets
 * (docs/ttrpc.md). Per connection: a small struct, at most one request
 * body (sized to its frame), and a write queue capped at FK_TTRPC_MAX_QUEUE.
 * Reads go through one shared 64 KiB buffer, so pipelined requests are
 * parsed in place and their responses leave in one sendmsg.
 *
 * Every connection has one deadline, always "now + conn_timeout" at the
 * moment it was last set, so keeping the connections in a list ordered by
 * last touch keeps them ordered by deadline: the head is the next to expire.
 */
#include "ttrpc/fk_ttrpc_server.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ttrpc/fk_ttrpc_addr.h"
#include "util/fk_time.h"

enum {
	READ_BUF = 64 * 1024,
	MAX_EVENTS = 64,
	ACCEPTS_PER_WAKEUP = 64,
	IOV_BATCH = 64,
	/* After EMFILE/ENFILE: stop accepting for this long instead of spinning. */
	ACCEPT_PAUSE_MS = 100,
};

/* A response frame (header and body) waiting to be written. */
struct out_frame {
	struct out_frame *next;
	size_t len;
	size_t off; /* bytes already written */
	uint8_t data[];
};

struct conn {
	int fd;
	uint32_t events; /* registered with epoll */
	struct fk_ttrpc_peer peer;
	const char *close_reason; /* set: close after the current event */
	/* deadline order */
	struct conn *prev, *next;
	uint64_t deadline_ns;
	/* the frame being received */
	uint8_t hdr[FK_TTRPC_HDR_SIZE];
	uint8_t hdr_got;
	bool in_body;  /* header complete, body bytes pending */
	bool discard;  /* the body is read and thrown away */
	bool oversize; /* ... and answered RESOURCE_EXHAUSTED */
	uint8_t type;
	uint32_t stream_id;
	uint32_t body_len;
	uint32_t body_got;
	uint8_t *body; /* NULL while discarding */
	/* responses */
	struct out_frame *q_head, *q_tail;
	size_t q_bytes;
};

struct fk_ttrpc_server {
	struct fk_ttrpc_server_config cfg;
	int epfd, listen_fd, stop_fd;
	struct conn *head, *tail; /* every connection, oldest deadline first */
	atomic_size_t n_conns;
	uint64_t next_conn_id;
	uint64_t accept_resume_ns; /* 0: accepting */
	uint64_t hook_due_ns;      /* when after_events asked to run again; 0: not */
	bool tcp;                  /* listening on loopback TCP (no SO_PEERCRED) */
	bool served;               /* a handler ran, or an allowed client connected, in this batch */
	uint64_t timeout_ns;
	uint8_t rbuf[READ_BUF];
};

__attribute__((format(printf, 2, 3))) static void logf_(struct fk_ttrpc_server *s,
							 const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (s->cfg.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->cfg.log(s->cfg.log_arg, line);
}

/* ---- deadline list ---- */

/* Who a connection is, for log lines: its credentials, or "tcp" (none). */
static const char *peer_text(const struct fk_ttrpc_peer *p, char buf[64])
{
	if (p->tcp)
		return "tcp";
	snprintf(buf, 64, "uid=%u gid=%u pid=%d", (unsigned)p->uid, (unsigned)p->gid, (int)p->pid);
	return buf;
}

static void list_unlink(struct fk_ttrpc_server *s, struct conn *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		s->tail = c->prev;
	c->prev = c->next = NULL;
}

static void list_append(struct fk_ttrpc_server *s, struct conn *c)
{
	c->prev = s->tail;
	c->next = NULL;
	if (s->tail != NULL)
		s->tail->next = c;
	else
		s->head = c;
	s->tail = c;
}

/* The connection made progress: its deadline restarts. */
static void touch(struct fk_ttrpc_server *s, struct conn *c)
{
	c->deadline_ns = fk_mono_ns() + s->timeout_ns;
	if (s->tail != c) {
		list_unlink(s, c);
		list_append(s, c);
	}
}

static bool frame_partial(const struct conn *c)
{
	return c->hdr_got != 0 || c->in_body;
}

/* ---- connections ---- */

static void free_frame(struct out_frame *f)
{
	fk_wipe(f->data, f->len); /* responses may carry key records */
	free(f);
}

static void conn_close(struct fk_ttrpc_server *s, struct conn *c, const char *why)
{
	char who[64];

	logf_(s, "ttrpc conn=%llu %s closed: %s", (unsigned long long)c->peer.conn_id,
	      peer_text(&c->peer, who), why);
	list_unlink(s, c);
	close(c->fd); /* also leaves the epoll set */
	while (c->q_head != NULL) {
		struct out_frame *f = c->q_head;
		c->q_head = f->next;
		free_frame(f);
	}
	if (c->body != NULL) {
		fk_wipe_free(c->body, c->body_len);
	}
	free(c);
	atomic_fetch_sub(&s->n_conns, 1);
}

static void update_events(struct fk_ttrpc_server *s, struct conn *c)
{
	/* Back-pressure: a client that does not read its responses is not read either. */
	uint32_t want = (c->q_bytes < FK_TTRPC_QUEUE_HIGH ? EPOLLIN : 0u) |
			(c->q_head != NULL ? EPOLLOUT : 0u);
	struct epoll_event ev = {.events = want, .data.ptr = c};

	if (want == c->events || c->close_reason != NULL)
		return;
	if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev) != 0)
		c->close_reason = "epoll_ctl failed";
	else
		c->events = want;
}

/* Write what the socket takes now; never blocks. */
static void flush(struct fk_ttrpc_server *s, struct conn *c)
{
	bool progress = false;
	bool paused = (c->events & EPOLLIN) == 0;

	while (c->q_head != NULL && c->close_reason == NULL) {
		struct iovec iov[IOV_BATCH];
		struct msghdr mh = {.msg_iov = iov};
		size_t k = 0, w;
		ssize_t n;

		for (struct out_frame *f = c->q_head; f != NULL && k < IOV_BATCH; f = f->next, k++) {
			iov[k].iov_base = f->data + f->off;
			iov[k].iov_len = f->len - f->off;
		}
		mh.msg_iovlen = k;
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->close_reason = "write failed";
			break;
		}
		progress = progress || n > 0;
		w = (size_t)n;
		c->q_bytes -= w;
		while (w > 0) {
			struct out_frame *f = c->q_head;
			size_t left = f->len - f->off;
			if (w < left) {
				f->off += w;
				break;
			}
			w -= left;
			c->q_head = f->next;
			free_frame(f);
		}
		if (c->q_head == NULL)
			c->q_tail = NULL;
	}
	/*
	 * Output progress restarts the deadline, except for a frame the client
	 * started and has not finished: that one keeps its own. When reading is
	 * paused (back-pressure) the client cannot finish it, so progress counts.
	 */
	if (progress && (!frame_partial(c) || paused))
		touch(s, c);
	update_events(s, c);
}

/* Queue one Response frame; false when the connection must go. */
static bool queue_response(struct conn *c, uint32_t stream_id, const uint8_t *body, size_t len)
{
	struct out_frame *f;

	if (len > FK_TTRPC_MAX_DATA) { /* the encoder refuses these already */
		c->close_reason = "response over 4 MiB";
		return false;
	}
	f = malloc(sizeof(*f) + FK_TTRPC_HDR_SIZE + len);
	if (f == NULL) {
		c->close_reason = "out of memory";
		return false;
	}
	f->next = NULL;
	f->len = FK_TTRPC_HDR_SIZE + len;
	f->off = 0;
	fk_ttrpc_hdr_put((struct fk_ttrpc_hdr *)f->data, (uint32_t)len, stream_id,
			 FK_TTRPC_TYPE_RESPONSE);
	if (len != 0)
		memcpy(f->data + FK_TTRPC_HDR_SIZE, body, len);
	if (c->q_tail != NULL)
		c->q_tail->next = f;
	else
		c->q_head = f;
	c->q_tail = f;
	c->q_bytes += f->len;
	if (c->q_bytes > FK_TTRPC_MAX_QUEUE) {
		c->close_reason = "responses not read (write queue over 8 MiB)";
		return false;
	}
	return true;
}

/*
 * Encode and queue a Response. The message is sanitised to UTF-8 and cut;
 * an error carries no payload; an OK reply too big for a frame becomes
 * RESOURCE_EXHAUSTED (a Go 1.1 client would crash on it).
 */
static void reply(struct conn *c, uint32_t stream_id, uint32_t code, const char *message,
		  const uint8_t *payload, size_t payload_len)
{
	char msg[FK_TTRPC_MAX_STATUS_MESSAGE];
	uint8_t *body = NULL;
	size_t len = 0;
	fusekey_status st;

	if (code > INT32_MAX)
		code = FK_TTRPC_UNKNOWN;
	fk_ttrpc_utf8_sanitize(msg, sizeof(msg), message);
	if (code != FK_TTRPC_OK) {
		payload = NULL;
		payload_len = 0;
	}
	st = fk_ttrpc_response_encode(code, msg, payload, payload_len, &body, &len);
	if (st == FUSEKEY_ERR_INVALID_PARAMETER) {
		snprintf(msg, sizeof(msg), "response exceeds maximum message size of %u",
			 (unsigned)FK_TTRPC_MAX_DATA);
		st = fk_ttrpc_response_encode(FK_TTRPC_RESOURCE_EXHAUSTED, msg, NULL, 0, &body,
					      &len);
	}
	if (st != FUSEKEY_OK) {
		c->close_reason = "cannot encode a response";
		return;
	}
	(void)queue_response(c, stream_id, body, len);
	if (body != NULL) {
		fk_wipe_free(body, len);
	}
}

static const struct fk_ttrpc_method *find_method(const struct fk_ttrpc_server *s,
						 const struct fk_ttrpc_request_msg *req,
						 bool *service_known)
{
	*service_known = false;
	for (size_t i = 0; i < s->cfg.n_methods; i++) {
		const struct fk_ttrpc_method *m = &s->cfg.methods[i];
		if (strcmp(m->service, req->service) != 0)
			continue;
		*service_known = true;
		if (strcmp(m->method, req->method) == 0)
			return m;
	}
	return NULL;
}

/* One complete Request frame; the checks in the Go 1.1.1 server's order. */
static void dispatch(struct fk_ttrpc_server *s, struct conn *c, uint32_t stream_id,
		     const uint8_t *body, size_t len)
{
	struct fk_ttrpc_request_msg req;
	struct fk_ttrpc_reply rep = {.code = FK_TTRPC_OK};
	struct fk_ttrpc_call call;
	const struct fk_ttrpc_method *m;
	char name[FK_TTRPC_MAX_STATUS_MESSAGE / 2];
	char msg[FK_TTRPC_MAX_STATUS_MESSAGE];
	bool service_known;
	fusekey_status st;

	st = fk_ttrpc_request_decode(body, len, &req);
	if (st == FUSEKEY_ERR_FORMAT) {
		reply(c, stream_id, FK_TTRPC_INVALID_ARGUMENT,
		      "unmarshal request error: not a valid ttrpc.Request (protobuf, UTF-8 strings)",
		      NULL, 0);
		return;
	}
	if (st != FUSEKEY_OK) {
		reply(c, stream_id, FK_TTRPC_RESOURCE_EXHAUSTED, "server out of memory", NULL, 0);
		return;
	}
	if ((stream_id & 1u) == 0) {
		reply(c, stream_id, FK_TTRPC_INVALID_ARGUMENT,
		      "StreamID must be odd for client initiated streams", NULL, 0);
		goto out;
	}
	m = find_method(s, &req, &service_known);
	if (m == NULL) {
		/* The names are valid UTF-8 (decoded); cut them so the message stays short. */
		fk_ttrpc_utf8_sanitize(name, sizeof(name), service_known ? req.method : req.service);
		snprintf(msg, sizeof(msg), "%s %s", service_known ? "method" : "service", name);
		reply(c, stream_id, FK_TTRPC_UNIMPLEMENTED, msg, NULL, 0);
		goto out;
	}
	call.stream_id = stream_id;
	call.req = &req;
	call.peer = &c->peer;
	call.deadline_ns = fk_deadline_after(req.timeout_nano);
	if (req.timeout_nano < 0 || (call.deadline_ns != 0 && fk_mono_ns() >= call.deadline_ns)) {
		reply(c, stream_id, FK_TTRPC_DEADLINE_EXCEEDED, "context deadline exceeded", NULL,
		      0);
		goto out;
	}
	m->handler(m->arg, &call, &rep);
	s->served = true;
	reply(c, stream_id, rep.code, rep.message, rep.payload, rep.payload_len);
	if (rep.payload != NULL) {
		fk_wipe_free(rep.payload, rep.payload_len);
	}
out:
	fk_ttrpc_request_msg_free(&req);
}

/* The header is complete: decide what happens to the body. */
static void begin_body(struct fk_ttrpc_server *s, struct conn *c)
{
	c->body_len = fk_be32(c->hdr);
	c->stream_id = fk_be32(c->hdr + 4);
	c->type = c->hdr[8];
	c->hdr_got = 0;
	c->in_body = true;
	c->body_got = 0;
	/* Go 1.1.1: the length check comes first, whatever the type. */
	c->oversize = c->body_len > s->cfg.max_request;
	c->discard = c->oversize || c->type != FK_TTRPC_TYPE_REQUEST;
}

static void end_body(struct fk_ttrpc_server *s, struct conn *c, const uint8_t *body)
{
	c->in_body = false;
	if (c->oversize) {
		char msg[128];
		snprintf(msg, sizeof(msg), "message length %u exceed maximum message size of %u",
			 (unsigned)c->body_len, (unsigned)s->cfg.max_request);
		reply(c, c->stream_id, FK_TTRPC_RESOURCE_EXHAUSTED, msg, NULL, 0);
	} else if (!c->discard) {
		dispatch(s, c, c->stream_id, body, c->body_len);
	}
	/* other types: ignored, as Go 1.1.1 does */
	c->discard = c->oversize = false;
}

/* The body is complete: handle it, then wipe and free it (it may carry a key record). */
static void finish_body(struct fk_ttrpc_server *s, struct conn *c)
{
	uint8_t *b = c->body;

	c->body = NULL;
	end_body(s, c, b);
	fk_wipe_free(b, c->body_len);
}

/*
 * Parse n bytes just read: finish the current frame, then whole frames in
 * place, then keep the start of an incomplete one. Returns how many frames
 * completed.
 */
static size_t parse(struct fk_ttrpc_server *s, struct conn *c, const uint8_t *p, size_t n)
{
	size_t done = 0;

	while (n > 0 && c->close_reason == NULL) {
		if (c->in_body) {
			size_t take = c->body_len - c->body_got;
			if (take > n)
				take = n;
			if (!c->discard) {
				if (c->body == NULL) {
					/* Sized to this frame (<= max_request); the pages of a
					 * large one become resident only as bytes arrive. */
					c->body = malloc(c->body_len);
					if (c->body == NULL) {
						c->close_reason = "out of memory";
						break;
					}
				}
				memcpy(c->body + c->body_got, p, take);
			}
			c->body_got += (uint32_t)take;
			p += take;
			n -= take;
			if (c->body_got == c->body_len) {
				finish_body(s, c);
				done++;
			}
			continue;
		}
		if (c->hdr_got == 0 && n >= FK_TTRPC_HDR_SIZE) {
			memcpy(c->hdr, p, FK_TTRPC_HDR_SIZE);
			p += FK_TTRPC_HDR_SIZE;
			n -= FK_TTRPC_HDR_SIZE;
		} else {
			size_t take = FK_TTRPC_HDR_SIZE - c->hdr_got;
			if (take > n)
				take = n;
			memcpy(c->hdr + c->hdr_got, p, take);
			c->hdr_got = (uint8_t)(c->hdr_got + take);
			p += take;
			n -= take;
			if (c->hdr_got < FK_TTRPC_HDR_SIZE)
				break;
		}
		begin_body(s, c);
		/* The common case: the whole body is in this read; no copy. */
		if (!c->discard && n >= c->body_len) {
			c->in_body = false;
			dispatch(s, c, c->stream_id, c->body_len != 0 ? p : NULL, c->body_len);
			p += c->body_len;
			n -= c->body_len;
			done++;
		} else if (c->body_len == 0) {
			end_body(s, c, NULL);
			done++;
		}
	}
	return done;
}

static void on_readable(struct fk_ttrpc_server *s, struct conn *c)
{
	bool was_partial = frame_partial(c);
	size_t done;
	ssize_t n;

	/* A large body in progress is read straight into its buffer. */
	if (c->in_body && !c->discard && c->body != NULL) {
		n = read(c->fd, c->body + c->body_got, c->body_len - c->body_got);
		if (n > 0) {
			c->body_got += (uint32_t)n;
			done = 0;
			if (c->body_got == c->body_len) {
				finish_body(s, c);
				done = 1;
			}
			goto progress;
		}
	} else {
		n = read(c->fd, s->rbuf, sizeof(s->rbuf));
		if (n > 0) {
			done = parse(s, c, s->rbuf, (size_t)n);
			goto progress;
		}
	}
	if (n == 0) {
		/* The client is done sending; give it what is ready, best effort. */
		flush(s, c);
		if (c->close_reason == NULL)
			c->close_reason = frame_partial(c) ? "peer closed in the middle of a frame"
							   : "peer closed";
	} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		c->close_reason = errno == ECONNRESET ? "connection reset" : "read failed";
	}
	return;
progress:
	/* A frame completed, or a new one started: the deadline restarts. A
	 * frame still incomplete since the last read keeps its deadline. */
	if (done > 0 || (!was_partial && frame_partial(c)))
		touch(s, c);
	if (c->q_head != NULL)
		flush(s, c);
}

static void on_conn_event(struct fk_ttrpc_server *s, struct conn *c, uint32_t events)
{
	if (events & EPOLLERR) {
		c->close_reason = "socket error";
	} else {
		if (events & EPOLLOUT)
			flush(s, c);
		if (c->close_reason == NULL && (events & EPOLLIN))
			on_readable(s, c);
		else if (c->close_reason == NULL && (events & EPOLLHUP))
			c->close_reason = "peer hung up";
	}
	if (c->close_reason != NULL)
		conn_close(s, c, c->close_reason);
}

static void pause_accept(struct fk_ttrpc_server *s, uint64_t now)
{
	struct epoll_event ev = {.events = 0, .data.ptr = &s->listen_fd};
	if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->listen_fd, &ev) == 0)
		s->accept_resume_ns = now + (uint64_t)ACCEPT_PAUSE_MS * 1000000u;
}

static void on_accept(struct fk_ttrpc_server *s)
{
	for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		struct epoll_event ev;
		struct conn *c;
		struct fk_ttrpc_peer peer;
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		char who[64];
		int fd = accept4(s->listen_fd, (struct sockaddr *)&from, &fl,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				continue;
			logf_(s, "ttrpc accept failed: %s; pausing accepts for %d ms",
			      strerror(errno), ACCEPT_PAUSE_MS);
			pause_accept(s, fk_mono_ns());
			return;
		}
		memset(&peer, 0, sizeof(peer));
		peer.conn_id = ++s->next_conn_id;
		if (s->tcp && !fk_ttrpc_addr_is_loopback(&from)) {
			/* Bound to loopback, but route_localnet can let others in: refuse them. */
			logf_(s, "ttrpc conn=%llu refused: tcp peer not on loopback",
			      (unsigned long long)peer.conn_id);
			close(fd);
			continue;
		}
		if (s->tcp) {
			int one = 1;
			/* No credentials on TCP: unknown, which any uid/gid filter refuses. */
			peer.tcp = true;
			peer.uid = (uid_t)-1;
			peer.gid = (gid_t)-1;
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		} else if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0 ||
			   cl != sizeof(cred)) {
			logf_(s, "ttrpc conn=%llu refused: no peer credentials",
			      (unsigned long long)peer.conn_id);
			close(fd);
			continue;
		} else {
			peer.uid = cred.uid;
			peer.gid = cred.gid;
			peer.pid = cred.pid;
		}
		if (atomic_load(&s->n_conns) >= s->cfg.max_connections) {
			logf_(s, "ttrpc conn=%llu %s refused: %zu connections open",
			      (unsigned long long)peer.conn_id, peer_text(&peer, who),
			      s->cfg.max_connections);
			close(fd);
			continue;
		}
		if (s->cfg.accept_peer != NULL && !s->cfg.accept_peer(s->cfg.accept_arg, &peer)) {
			logf_(s, "ttrpc conn=%llu %s refused: peer not allowed",
			      (unsigned long long)peer.conn_id, peer_text(&peer, who));
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			pause_accept(s, fk_mono_ns());
			return;
		}
		c->fd = fd;
		c->peer = peer;
		c->events = EPOLLIN;
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			close(fd);
			free(c);
			continue;
		}
		list_append(s, c);
		c->deadline_ns = fk_mono_ns() + s->timeout_ns;
		/* An allowed client's first request follows its connect at once: stay awake. */
		s->served = true;
		atomic_fetch_add(&s->n_conns, 1);
		logf_(s, "ttrpc conn=%llu %s accepted", (unsigned long long)peer.conn_id,
		      peer_text(&peer, who));
	}
}

/* Drop every connection whose deadline passed; resume accepting after a pause. */
static void expire(struct fk_ttrpc_server *s)
{
	uint64_t now = fk_mono_ns();

	while (s->head != NULL && s->head->deadline_ns <= now) {
		struct conn *c = s->head;
		const char *why;
		if (c->q_bytes >= FK_TTRPC_QUEUE_HIGH || (c->q_head != NULL && !frame_partial(c)))
			why = "responses not read in time";
		else if (frame_partial(c))
			why = "frame not complete in time (slow client)";
		else
			why = "idle timeout";
		conn_close(s, c, why);
	}
	if (s->accept_resume_ns != 0 && now >= s->accept_resume_ns) {
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &s->listen_fd};
		if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->listen_fd, &ev) == 0)
			s->accept_resume_ns = 0;
	}
}

/* ms until the next deadline, rounded up; -1 (sleep) when there is none. */
static int wait_ms(const struct fk_ttrpc_server *s)
{
	uint64_t next = UINT64_MAX;

	if (s->head != NULL)
		next = s->head->deadline_ns;
	if (s->accept_resume_ns != 0 && s->accept_resume_ns < next)
		next = s->accept_resume_ns;
	if (s->hook_due_ns != 0 && s->hook_due_ns < next)
		next = s->hook_due_ns;
	return fk_ms_until(next == UINT64_MAX ? 0 : next);
}

fusekey_status fk_ttrpc_server_run(struct fk_ttrpc_server *s)
{
	struct epoll_event evs[MAX_EVENTS];
	uint64_t spin_until = 0;

	if (s == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	for (;;) {
		bool stop = false;
		int ms = wait_ms(s);
		bool spinning = spin_until != 0 && fk_mono_ns() < spin_until;
		int n = epoll_wait(s->epfd, evs, MAX_EVENTS, spinning ? 0 : ms);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return FUSEKEY_ERR_IO;
		}
		if (n == 0 && spinning) {
			sched_yield(); /* anyone else runnable on this CPU goes first */
			if (ms != 0)
				continue;
		}
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;
			if (p == &s->stop_fd) {
				uint64_t v;
				ssize_t r = read(s->stop_fd, &v, sizeof(v)); /* reset the eventfd */
				(void)r;
				stop = true;
			} else if (p == &s->listen_fd) {
				on_accept(s);
			} else {
				on_conn_event(s, p, evs[i].events);
			}
		}
		expire(s);
		if (stop)
			return FUSEKEY_OK;
		/* Spin and prepare only after real work: a flood of refused connections buys nothing. */
		if (s->served) {
			s->served = false;
			if (s->cfg.after_events != NULL)
				s->hook_due_ns = s->cfg.after_events(s->cfg.after_arg);
			spin_until = s->cfg.spin_us != 0 ? fk_mono_ns() + s->cfg.spin_us * 1000ull : 0;
		} else if (s->hook_due_ns != 0 && fk_mono_ns() >= s->hook_due_ns) {
			s->hook_due_ns = s->cfg.after_events(s->cfg.after_arg);
		}
	}
}

void fk_ttrpc_server_stop(struct fk_ttrpc_server *s)
{
	int saved = errno; /* may run in a signal handler */
	uint64_t one = 1;

	if (s != NULL) {
		ssize_t r = write(s->stop_fd, &one, sizeof(one));
		(void)r;
	}
	errno = saved;
}

size_t fk_ttrpc_server_connections(const struct fk_ttrpc_server *s)
{
	return s == NULL ? 0 : atomic_load(&((struct fk_ttrpc_server *)s)->n_conns);
}

void fk_ttrpc_server_free(struct fk_ttrpc_server *s)
{
	if (s == NULL)
		return;
	while (s->head != NULL)
		conn_close(s, s->head, "server shut down");
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s);
}

fusekey_status fk_ttrpc_server_new(const struct fk_ttrpc_server_config *cfg, int listen_fd,
				   struct fk_ttrpc_server **out)
{
	struct fk_ttrpc_server *s = NULL;
	struct epoll_event ev;
	int accepting = 0, fl;
	socklen_t al = sizeof(accepting);
	fusekey_status st = FUSEKEY_ERR_INVALID_PARAMETER;

	if (out != NULL)
		*out = NULL;
	if (cfg == NULL || out == NULL || listen_fd < 0 || (cfg->methods == NULL && cfg->n_methods) ||
	    cfg->max_request > FK_TTRPC_MAX_DATA || cfg->spin_us > FK_TTRPC_MAX_SPIN_US)
		goto fail;
	for (size_t i = 0; i < cfg->n_methods; i++)
		if (cfg->methods[i].service == NULL || cfg->methods[i].method == NULL ||
		    cfg->methods[i].handler == NULL)
			goto fail;
	if (getsockopt(listen_fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &al) != 0 || !accepting)
		goto fail;
	st = FUSEKEY_ERR_IO;
	fl = fcntl(listen_fd, F_GETFL);
	if (fl < 0 || fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK) != 0 ||
	    fcntl(listen_fd, F_SETFD, FD_CLOEXEC) != 0)
		goto fail;

	st = FUSEKEY_ERR_NO_MEMORY;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto fail;
	s->epfd = s->stop_fd = s->listen_fd = -1;
	s->cfg = *cfg;
	if (s->cfg.max_connections == 0)
		s->cfg.max_connections = FK_TTRPC_DEFAULT_MAX_CONNECTIONS;
	if (s->cfg.max_request == 0)
		s->cfg.max_request = FK_TTRPC_MAX_DATA;
	if (s->cfg.conn_timeout_ms == 0)
		s->cfg.conn_timeout_ms = FK_TTRPC_DEFAULT_CONN_TIMEOUT_MS;
	s->timeout_ns = (uint64_t)s->cfg.conn_timeout_ms * 1000000u;
	atomic_init(&s->n_conns, 0);
	{
		/* The transport decides the peer checks: know it, or do not start. */
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		memset(&ss, 0, sizeof(ss));
		st = FUSEKEY_ERR_IO;
		if (getsockname(listen_fd, (struct sockaddr *)&ss, &sl) != 0)
			goto fail;
		s->tcp = ss.ss_family == AF_INET || ss.ss_family == AF_INET6;
		st = FUSEKEY_ERR_INVALID_PARAMETER;
		if ((s->tcp && !fk_ttrpc_addr_is_loopback(&ss)) ||
		    (!s->tcp && ss.ss_family != AF_UNIX))
			goto fail; /* never a key service beyond loopback */
	}
	s->listen_fd = listen_fd;
	listen_fd = -1;

	st = FUSEKEY_ERR_IO;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		goto fail;
	s->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->stop_fd < 0)
		goto fail;
	ev.events = EPOLLIN;
	ev.data.ptr = &s->listen_fd;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->listen_fd, &ev) != 0)
		goto fail;
	ev.events = EPOLLIN;
	ev.data.ptr = &s->stop_fd;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->stop_fd, &ev) != 0)
		goto fail;
	*out = s;
	return FUSEKEY_OK;
fail:
	if (listen_fd >= 0)
		close(listen_fd);
	fk_ttrpc_server_free(s);
	return st;
}

/* ---- listening socket ---- */

static fusekey_status bind_status(int err)
{
	return err == EADDRINUSE ? FUSEKEY_ERR_EXISTS
	       : err == EACCES	 ? FUSEKEY_ERR_PERMISSION
				 : FUSEKEY_ERR_IO;
}

/* True when something accepts connections on the socket at path. */
static bool socket_live(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	bool live;

	if (fd < 0)
		return true; /* cannot tell: do not remove it */
	live = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0 || errno == EAGAIN;
	close(fd);
	return live;
}

fusekey_status fk_ttrpc_listen_unix(const char *path, mode_t mode, int *fd)
{
	struct sockaddr_un sa;
	struct stat sb;
	int s = -1;
	bool bound = false;
	fusekey_status st = FUSEKEY_ERR_INVALID_PARAMETER;

	if (fd != NULL)
		*fd = -1;
	if (path == NULL || fd == NULL || path[0] == '\0' || strlen(path) >= sizeof(sa.sun_path) ||
	    (mode & ~(mode_t)0777) != 0)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);

	if (lstat(path, &sb) == 0) {
		/* Only a stale socket may go: never a file, a symlink, or a live server. */
		st = FUSEKEY_ERR_EXISTS;
		if (!S_ISSOCK(sb.st_mode) || socket_live(&sa))
			goto out;
		st = FUSEKEY_ERR_IO;
		if (unlink(path) != 0 && errno != ENOENT)
			goto out;
	} else if (errno != ENOENT) {
		st = errno == EACCES ? FUSEKEY_ERR_PERMISSION : FUSEKEY_ERR_IO;
		goto out;
	}

	st = FUSEKEY_ERR_IO;
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		goto out;
	if (bind(s, (const struct sockaddr *)&sa, sizeof(sa)) != 0) {
		st = bind_status(errno);
		goto out;
	}
	bound = true;
	/* Before listen(): nobody can connect while the mode is still the umask's. */
	if (chmod(path, mode) != 0 || listen(s, SOMAXCONN) != 0)
		goto out;
	*fd = s;
	s = -1;
	st = FUSEKEY_OK;
out:
	if (s >= 0) {
		close(s);
		if (bound)
			unlink(path);
	}
	return st;
}

fusekey_status fk_ttrpc_listen_tcp(const char *spec, int *fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	int s = -1, one = 1;
	fusekey_status st;

	if (fd != NULL)
		*fd = -1;
	if (fd == NULL)
		return FUSEKEY_ERR_INVALID_PARAMETER;
	st = fk_ttrpc_addr_parse_tcp(spec, true, &ss, &sl);
	if (st != FUSEKEY_OK)
		return st;
	st = FUSEKEY_ERR_IO;
	s = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		goto out;
	/* A restarted daemon rebinds at once (TIME_WAIT of its old connections). */
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
		goto out;
	if (bind(s, (const struct sockaddr *)&ss, sl) != 0) {
		st = bind_status(errno);
		goto out;
	}
	if (listen(s, SOMAXCONN) != 0)
		goto out;
	*fd = s;
	s = -1;
	st = FUSEKEY_OK;
out:
	if (s >= 0)
		close(s);
	return st;
}
