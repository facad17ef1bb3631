/* Copied from ../shared/peerbench/relay.c (the peer benchmark's rate-limited relay, 5 December 2026), unchanged
 * below this line, so the project's bench and tests stand alone; keep the two in step. */
/* Rate-limited UDP relay: a resolver that answers at most QPS queries a second and silently drops the rest,
 * as the Amazon-provided VPC resolver does (1,024 packets/s per network interface).
 *
 * usage: relay LISTEN_PORT UPSTREAM_PORT QPS [BURST]
 *   Listens on 127.0.0.1:LISTEN_PORT. Each query passes a token bucket (QPS tokens a second, BURST at most,
 *   default QPS/10 and at least 1; QPS 0 = no limit) or is dropped without an answer. A query that passes goes
 *   to 127.0.0.1:UPSTREAM_PORT from one socket under a DNS ID of the relay's; the table of relay ID -> client
 *   address, client ID and a hash of the question sends each reply back to the client that asked, under the
 *   client's own ID, from LISTEN_PORT. UDP only. On SIGTERM or SIGINT it prints its counts as one JSON line
 *   on stdout and exits 0.
 * build: gcc -O2 -o relay relay.c */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAXMSG 4096

struct slot {
    struct sockaddr_in client;
    uint32_t qhash; /* 0: free */
    uint16_t client_id;
};
static struct slot slots[65536]; /* by relay ID */
static volatile sig_atomic_t stop;
static unsigned long long received, forwarded, dropped, replies, unmatched, reused, bad, send_errors;

static void on_signal(int sig) { (void)sig; stop = 1; }

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* FNV-1a of the question section (QDCOUNT 1, uncompressed name), never 0; 1 when it cannot be parsed. */
static uint32_t question_hash(const unsigned char *p, size_t n) {
    size_t i = 12;
    uint32_t h = 2166136261u;
    if (n < 12 || p[4] != 0 || p[5] != 1) return 1;
    while (i < n && p[i]) {
        if (p[i] & 0xc0) return 1;
        i += p[i] + 1;
    }
    i += 5; /* root label, type, class */
    if (i > n) return 1;
    for (size_t k = 12; k < i; k++) h = (h ^ p[k]) * 16777619u;
    return h | 1;
}

static int udp_socket(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), size = 4 << 20;
    if (fd < 0) { perror("relay: socket"); exit(2); }
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size); /* best effort: capped by net.core.rmem_max */
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    return fd;
}

static struct sockaddr_in loopback(int port) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static unsigned char inbuf[BATCH][MAXMSG];
static struct iovec iov[BATCH], outiov[BATCH];
static struct sockaddr_in from[BATCH], to[BATCH];
static struct mmsghdr in[BATCH], out[BATCH];

static int receive(int fd) {
    for (int i = 0; i < BATCH; i++) {
        iov[i] = (struct iovec){inbuf[i], MAXMSG};
        in[i].msg_hdr = (struct msghdr){.msg_name = &from[i], .msg_namelen = sizeof from[i], .msg_iov = &iov[i],
                                        .msg_iovlen = 1};
    }
    int n = recvmmsg(fd, in, BATCH, MSG_DONTWAIT, NULL);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) perror("relay: recvmmsg");
    return n < 0 ? 0 : n;
}

static int send_all(int fd, int k) { /* returns how many went */
    int done = 0;
    while (done < k) {
        int r = sendmmsg(fd, out + done, k - done, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            send_errors += k - done; /* a full socket buffer: lost, like any other drop */
            break;
        }
        done += r;
    }
    return done;
}

int main(int argc, char **argv) {
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: relay LISTEN_PORT UPSTREAM_PORT QPS [BURST]\n");
        return 2;
    }
    int listen_port = atoi(argv[1]), upstream_port = atoi(argv[2]);
    double qps = atof(argv[3]), burst = argc == 5 ? atof(argv[4]) : qps / 10;
    if (burst < 1) burst = 1;
    if (listen_port < 1 || upstream_port < 1 || qps < 0) {
        fprintf(stderr, "relay: bad arguments\n");
        return 2;
    }
    int lfd = udp_socket(), ufd = udp_socket();
    struct sockaddr_in la = loopback(listen_port), ua = loopback(upstream_port);
    if (bind(lfd, (struct sockaddr *)&la, sizeof la) < 0) { perror("relay: bind"); return 2; }
    if (connect(ufd, (struct sockaddr *)&ua, sizeof ua) < 0) { perror("relay: connect"); return 2; }
    struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: poll returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if (qps > 0)
        fprintf(stderr, "relay: listening on 127.0.0.1:%d, upstream 127.0.0.1:%d, %.0f queries/s, burst %.0f\n",
                listen_port, upstream_port, qps, burst);
    else
        fprintf(stderr, "relay: listening on 127.0.0.1:%d, upstream 127.0.0.1:%d, no limit\n", listen_port,
                upstream_port);

    double tokens = burst, last = now_s();
    uint16_t next_id = (uint16_t)(getpid() * 2654435761u >> 16);
    struct pollfd pf[2] = {{.fd = lfd, .events = POLLIN}, {.fd = ufd, .events = POLLIN}};
    while (!stop) {
        if (poll(pf, 2, 1000) < 0) {
            if (errno == EINTR) continue;
            perror("relay: poll");
            return 2;
        }
        if (pf[0].revents & POLLIN) { /* queries from clients */
            int n = receive(lfd), k = 0;
            double t = now_s();
            tokens += (t - last) * qps;
            if (tokens > burst) tokens = burst;
            last = t;
            for (int i = 0; i < n; i++) {
                unsigned char *p = inbuf[i];
                size_t len = in[i].msg_len;
                if (len < 12 || (p[2] & 0x80) || from[i].sin_family != AF_INET) { bad++; continue; }
                received++;
                if (qps > 0) {
                    if (tokens < 1) { dropped++; continue; }
                    tokens -= 1;
                }
                uint16_t id = next_id++;
                struct slot *s = &slots[id];
                if (s->qhash) reused++; /* never answered, 65,536 queries ago */
                s->client = from[i];
                s->client_id = (uint16_t)(p[0] << 8 | p[1]);
                s->qhash = question_hash(p, len);
                p[0] = id >> 8, p[1] = id & 0xff;
                outiov[k] = (struct iovec){p, len};
                out[k].msg_hdr = (struct msghdr){.msg_iov = &outiov[k], .msg_iovlen = 1};
                k++;
            }
            forwarded += send_all(ufd, k);
        }
        if (pf[1].revents & POLLIN) { /* replies from the server */
            int n = receive(ufd), k = 0;
            for (int i = 0; i < n; i++) {
                unsigned char *p = inbuf[i];
                size_t len = in[i].msg_len;
                if (len < 12) { bad++; continue; }
                struct slot *s = &slots[p[0] << 8 | p[1]];
                uint32_t h = question_hash(p, len);
                if (!s->qhash || (s->qhash != 1 && h != 1 && h != s->qhash)) { unmatched++; continue; }
                p[0] = s->client_id >> 8, p[1] = s->client_id & 0xff;
                to[k] = s->client;
                s->qhash = 0;
                outiov[k] = (struct iovec){p, len};
                out[k].msg_hdr = (struct msghdr){.msg_name = &to[k], .msg_namelen = sizeof to[k],
                                                 .msg_iov = &outiov[k], .msg_iovlen = 1};
                k++;
            }
            replies += send_all(lfd, k);
        }
    }
    printf("{\"qps\": %g, \"burst\": %g, \"received\": %llu, \"forwarded\": %llu, \"dropped\": %llu, "
           "\"replies\": %llu, \"unmatched\": %llu, \"reused\": %llu, \"bad\": %llu, \"send_errors\": %llu}\n",
           qps, burst, received, forwarded, dropped, replies, unmatched, reused, bad, send_errors);
    return 0;
}
