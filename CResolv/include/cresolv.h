/*
 * CResolv: a thin, thread-safe shim over glibc's libresolv for rdnscheck.
 *
 * Why it exists: res_ninit, res_nsend and res_nclose are macros over __res_* symbols that Swift cannot
 * import, struct __res_state keeps the nameserver list in private fields (IPv6 servers live behind
 * _u._ext.nsaddrs), and glibc's TCP fallback has no timeout of its own. This is the only code in the
 * project that touches libresolv's structs and macros.
 *
 * Threading: one cresolv_resolver per thread, used only by the thread that opened it, which must first have
 * called cresolv_thread_init (the overall deadline is a timer that signals that thread, and the signal handler
 * shuts down glibc's sockets by number: see cresolv.c for why that is safe only in a descriptor table of the
 * thread's own). The global _res is never used.
 */
#ifndef CRESOLV_H
#define CRESOLV_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* glibc's MAXNS: res_state holds at most three nameservers. */
#define CRESOLV_MAX_NAMESERVERS 3

/* The largest DNS message (TCP length prefix is 16 bits): each resolver's answer buffer is this big. */
#define CRESOLV_ANSWER_BUFFER_SIZE 65536

/* What to configure on each resolver state; built with the functions below. */
typedef struct cresolv_options {
    int timeout_seconds;   /* per attempt, 1...30 (glibc's RES_MAXRETRANS) */
    int attempts;          /* tries per query and nameserver, 1...5 (RES_MAXRETRY) */
    int nameserver_count;  /* 0: use /etc/resolv.conf's nameservers */
    int use_tcp;           /* 1: TCP only (RES_USEVC), for replies that came back truncated over UDP */
    struct {
        int family;        /* AF_INET or AF_INET6 */
        uint16_t port;     /* host byte order */
        uint8_t address[16];
    } nameservers[CRESOLV_MAX_NAMESERVERS];
} cresolv_options;

/* Sets timeout and attempts and clears the nameserver list. */
void cresolv_options_init(cresolv_options *options, int timeout_seconds, int attempts);

/* Fills the nameserver list from /etc/resolv.conf as glibc reads it (res_ninit), for callers that talk to the
 * nameservers themselves. Returns the number found, or -1 when the resolver configuration cannot be read. */
int cresolv_options_add_system_nameservers(cresolv_options *options);

/* Copies nameserver index (0 <= index < nameserver_count): family (AF_INET or AF_INET6), its 4 or 16 address
 * bytes into address (16 bytes of room) and its port. Why: Swift sees the fixed-size array as a tuple. */
void cresolv_options_nameserver(const cresolv_options *options, int index, int *family, uint8_t *address,
                                uint16_t *port);

/* Adds a nameserver given as text (IPv4 dotted quad or IPv6, no brackets) and a port.
 * Returns 0, or -1 when the address does not parse or the list is full. */
int cresolv_options_add_nameserver(cresolv_options *options, const char *address, uint16_t port);

typedef struct cresolv_resolver cresolv_resolver;

/* Gives the calling thread a descriptor table of its own (unshare(CLONE_FILES)) and closes the copies of every
 * descriptor it inherited but 0, 1 and 2. Call it first thing on a thread made for lookups, which then opens no
 * descriptor for anyone else. Returns 0 (also when called again), or -1 with a message in error (at most
 * error_size bytes, NUL-terminated). */
int cresolv_thread_init(char *error, size_t error_size);

/* Initialises a resolver state for the calling thread (res_ninit, then the options); fails on a thread that has
 * not called cresolv_thread_init. Returns NULL on failure with a message in error (at most error_size bytes,
 * NUL-terminated). */
cresolv_resolver *cresolv_open(const cresolv_options *options, char *error, size_t error_size);

/* Releases the state (res_nclose, which also frees glibc's IPv6 nameserver copies) and its timer. */
void cresolv_close(cresolv_resolver *resolver);

/* Everything needed to classify one lookup; the Swift side maps it to an outcome in one place. */
typedef struct cresolv_result {
    int length;            /* bytes of the reply glibc accepted, in the answer buffer (clamped to its size); -1:
                              none (every attempt failed, timed out, or got SERVFAIL, REFUSED or NOTIMP) */
    int error_number;      /* errno right after res_nsend (ECONNREFUSED, ETIMEDOUT, ECONNRESET, ...) */
    int rcode;             /* RCODE of the reply in the buffer when it answers this very query (its ID and
                              question); -1 when none does, e.g. only junk glibc threw away arrived */
    int deadline_expired;  /* 1 when the overall deadline cut the lookup short */
    int interrupted;       /* 1 when cresolv_interrupt cut it short (or came before it) */
} cresolv_result;

/* One query (class IN): res_nquery's two halves, res_nmkquery and res_nsend, so that the query's ID is known
 * and the reply's length is returned for NXDOMAIN and NODATA too. Bounded by timeout x attempts x nameservers
 * overall, or by deadline_ms when that is positive and shorter, over UDP and TCP alike. checking_disabled nonzero
 * sets the CD bit (RFC 4035 3.2.2: a validating resolver answers without validating). The reply, if any, is
 * left in the resolver's answer buffer (see cresolv_reply) until the next query. */
cresolv_result cresolv_query(cresolv_resolver *resolver, const char *name, int type, long deadline_ms,
                             int checking_disabled);

/* From any thread: ends the query in progress on this resolver at once, as its deadline would, and makes every
 * later query return at once; both report interrupted. For shutting a pool of lookup threads down. */
void cresolv_interrupt(cresolv_resolver *resolver);

/* The resolver's answer buffer (CRESOLV_ANSWER_BUFFER_SIZE bytes): the last reply is its first
 * cresolv_result.length bytes. */
const uint8_t *cresolv_reply(const cresolv_resolver *resolver);

/* The overall deadline of one query in milliseconds, as cresolv_query enforces it. */
long cresolv_deadline_ms(const cresolv_resolver *resolver);

#ifdef __cplusplus
}
#endif

#endif
