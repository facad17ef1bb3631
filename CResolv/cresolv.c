/*
 * CResolv: see include/cresolv.h for why this shim exists and how it may be used.
 */
#define _GNU_SOURCE
#include "cresolv.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <resolv.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

_Static_assert(CRESOLV_MAX_NAMESERVERS == MAXNS, "the option list mirrors res_state's nameserver slots");
_Static_assert(CRESOLV_ANSWER_BUFFER_SIZE >= 65535, "the answer buffer holds the largest TCP message");

/* The largest query: header, question (a name of at most 255 octets, type, class) and an OPT record. */
#define CRESOLV_QUERY_SIZE (HFIXEDSZ + NS_MAXCDNAME + QFIXEDSZ + 11)

/* The UDP payload size glibc advertises when resolv.conf asks for EDNS (its RESOLV_EDNS_BUFFER_SIZE). */
#define CRESOLV_EDNS_PAYLOAD 1200

struct cresolv_resolver {
    struct __res_state state;
    timer_t deadline_timer;
    long deadline_ms;
    volatile sig_atomic_t deadline_expired;
    /* The thread's dead end (see cresolv_thread_init), for the deadline signal handler. */
    int dead_end;
    /* Guards querying and interrupted, so that cresolv_interrupt arms the timer only while a query runs. */
    pthread_mutex_t lock;
    int querying;
    int interrupted;
    /* How much of answer may hold bytes of an earlier reply: zeroed before the next query. */
    int dirty_length;
    uint8_t answer[CRESOLV_ANSWER_BUFFER_SIZE];
};

/* The resolver whose lookup is in progress on this thread, for the deadline signal handler. volatile: only the
 * handler reads it, so without it an optimiser may drop the stores around res_nsend (GCC -O1 does). */
static __thread cresolv_resolver *volatile cresolv_active;

/* Whether this thread called cresolv_thread_init: its descriptor table is its own. */
static __thread int cresolv_thread_owns_descriptors;

/* The read end of a pipe whose write end is closed, in this thread's table: poll() reports POLLHUP on it at
 * once, read() returns 0, and every socket call fails. */
static __thread int cresolv_thread_dead_end = -1;

static pthread_once_t cresolv_process_setup_once = PTHREAD_ONCE_INIT;

static int cresolv_deadline_signal(void) {
    return SIGRTMIN + 3;
}

/*
 * The overall deadline. glibc cannot be told to stop, and a signal alone does not stop it: its UDP loop (send_dg)
 * answers EINTR by polling again for the rest of the attempt, on CLOCK_REALTIME, and its TCP loop (send_vc)
 * reads the length prefix inside TEMP_FAILURE_RETRY, so a server that accepts and never answers would hold a
 * lookup for ever. Shutting a socket down is not enough either: glibc's UDP sockets are non-blocking, and
 * recvfrom() on one shut down fails with EAGAIN, which glibc answers by polling again, in a busy loop.
 *
 * So when the deadline passes, this handler, running on the looking-up thread, puts the thread's dead end (a pipe
 * without writer) in place of every socket glibc holds in the state, with dup2(): a poll() on the number then
 * reports POLLHUP at once, a read() returns 0, a send() fails, and glibc gives up the attempt and closes the
 * number as its own. It moves on to its next attempt, which the timer, firing again every 10 ms, ends the same
 * way. connect() is not retried on EINTR, so a hanging connect ends too.
 *
 * Why replacing them by number is safe: the thread has a descriptor table of its own (cresolv_thread_init),
 * where only this thread opens and closes descriptors. A number in _vcsock or nssocks[] is either glibc's open
 * socket or, in the moment between glibc's close() and its storing -1, a free slot that nobody can have taken
 * since (this thread is in the handler, opening nothing): fcntl() then fails and the slot is left alone. In a
 * table shared with other threads, that moment would let another thread's new descriptor be replaced. Only
 * async-signal-safe calls.
 */
static void cresolv_end_socket(int fd, int dead_end) {
    if (fd >= 0 && fcntl(fd, F_GETFD) != -1) {
        syscall(SYS_dup3, dead_end, fd, 0); /* dup2; raw: see cresolv_close_inherited */
    }
}

static void cresolv_on_deadline(int signal_number) {
    (void)signal_number;
    int saved_errno = errno;
    cresolv_resolver *resolver = cresolv_active;
    if (resolver != NULL) {
        resolver->deadline_expired = 1;
        cresolv_end_socket(resolver->state._vcsock, resolver->dead_end);
        /* res_nsend sets nssocks[] to -1 for the first _u._ext.nscount servers before it opens any. */
        for (int i = 0; i < resolver->state._u._ext.nscount && i < MAXNS; i++) {
            cresolv_end_socket(resolver->state._u._ext.nssocks[i], resolver->dead_end);
        }
    }
    errno = saved_errno;
}

static void cresolv_process_setup(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = cresolv_on_deadline;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART: a blocked connect() must return EINTR */
    sigaction(cresolv_deadline_signal(), &action, NULL);
    /* glibc writes to the TCP socket with writev(), not send(MSG_NOSIGNAL): when the deadline ends a connection
     * the server may have reset it, and SIGPIPE would kill the process. */
    signal(SIGPIPE, SIG_IGN);
}

/* Closes every descriptor from 3 up: close_range (Linux 5.9), else each one /proc lists for this thread. This
 * thread's descriptors are changed with raw system calls: ThreadSanitizer keeps one table of descriptors for the
 * whole process, and would take a number used here for the same number in other threads' table. */
static int cresolv_close_inherited(void) {
    if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0) {
        return 0;
    }
    DIR *directory = opendir("/proc/thread-self/fd");
    if (directory == NULL) {
        return -1;
    }
    struct dirent *entry;
    while ((entry = readdir(directory)) != NULL) {
        int fd = atoi(entry->d_name);
        if (fd > 2 && fd != dirfd(directory)) {
            close(fd);
        }
    }
    closedir(directory);
    return 0;
}

int cresolv_thread_init(char *error, size_t error_size) {
    if (cresolv_thread_owns_descriptors) {
        return 0;
    }
    if (unshare(CLONE_FILES) != 0) {
        snprintf(error, error_size, "cannot give the lookup thread a descriptor table of its own: unshare: %s",
                 strerror(errno));
        return -1;
    }
    /* The copies would keep other threads' sockets, files and pipes open after those threads close them. */
    if (cresolv_close_inherited() != 0) {
        snprintf(error, error_size, "cannot close the lookup thread's inherited descriptors: %s", strerror(errno));
        return -1;
    }
    int ends[2];
    if (syscall(SYS_pipe2, ends, O_CLOEXEC) != 0) {
        snprintf(error, error_size, "cannot create a pipe: %s", strerror(errno));
        return -1;
    }
    syscall(SYS_close, ends[1]);
    cresolv_thread_dead_end = ends[0];
    cresolv_thread_owns_descriptors = 1;
    return 0;
}

void cresolv_options_init(cresolv_options *options, int timeout_seconds, int attempts) {
    memset(options, 0, sizeof *options);
    options->timeout_seconds = timeout_seconds;
    options->attempts = attempts;
}

int cresolv_options_add_system_nameservers(cresolv_options *options) {
    struct __res_state state;
    memset(&state, 0, sizeof state);
    if (res_ninit(&state) != 0) {
        res_nclose(&state);
        return -1;
    }
    int added = 0;
    for (int i = 0; i < state.nscount && options->nameserver_count < CRESOLV_MAX_NAMESERVERS; i++) {
        int index = options->nameserver_count;
        memset(&options->nameservers[index], 0, sizeof options->nameservers[index]);
        if (state.nsaddr_list[i].sin_family == AF_INET) {
            options->nameservers[index].family = AF_INET;
            options->nameservers[index].port = ntohs(state.nsaddr_list[i].sin_port);
            memcpy(options->nameservers[index].address, &state.nsaddr_list[i].sin_addr, 4);
        } else if (state._u._ext.nsaddrs[i] != NULL) {
            options->nameservers[index].family = AF_INET6;
            options->nameservers[index].port = ntohs(state._u._ext.nsaddrs[i]->sin6_port);
            memcpy(options->nameservers[index].address, &state._u._ext.nsaddrs[i]->sin6_addr, 16);
        } else {
            continue;
        }
        options->nameserver_count = index + 1;
        added++;
    }
    res_nclose(&state);
    return added;
}

void cresolv_options_nameserver(const cresolv_options *options, int index, int *family, uint8_t *address,
                                uint16_t *port) {
    *family = options->nameservers[index].family;
    *port = options->nameservers[index].port;
    memcpy(address, options->nameservers[index].address, 16);
}

int cresolv_options_add_nameserver(cresolv_options *options, const char *address, uint16_t port) {
    if (options->nameserver_count >= CRESOLV_MAX_NAMESERVERS) {
        return -1;
    }
    int index = options->nameserver_count;
    memset(&options->nameservers[index], 0, sizeof options->nameservers[index]);
    if (inet_pton(AF_INET, address, options->nameservers[index].address) == 1) {
        options->nameservers[index].family = AF_INET;
    } else if (inet_pton(AF_INET6, address, options->nameservers[index].address) == 1) {
        options->nameservers[index].family = AF_INET6;
    } else {
        return -1;
    }
    options->nameservers[index].port = port;
    options->nameserver_count = index + 1;
    return 0;
}

/*
 * Replaces the nameservers res_ninit read from /etc/resolv.conf. glibc keeps IPv4 servers in nsaddr_list and
 * IPv6 servers in malloc'ed _u._ext.nsaddrs[] with nsaddr_list[i].sin_family = 0; res_nclose frees those.
 * Setting _u._ext.nscount to 0 makes res_send rebuild its private copy from this list.
 */
static int cresolv_set_nameservers(res_state state, const cresolv_options *options) {
    for (int i = 0; i < MAXNS; i++) {
        free(state->_u._ext.nsaddrs[i]);
        state->_u._ext.nsaddrs[i] = NULL;
        memset(&state->nsaddr_list[i], 0, sizeof state->nsaddr_list[i]);
    }
    for (int i = 0; i < options->nameserver_count; i++) {
        if (options->nameservers[i].family == AF_INET) {
            struct sockaddr_in *address = &state->nsaddr_list[i];
            address->sin_family = AF_INET;
            address->sin_port = htons(options->nameservers[i].port);
            memcpy(&address->sin_addr, options->nameservers[i].address, 4);
        } else {
            struct sockaddr_in6 *address = calloc(1, sizeof *address);
            if (address == NULL) {
                return -1;
            }
            address->sin6_family = AF_INET6;
            address->sin6_port = htons(options->nameservers[i].port);
            memcpy(&address->sin6_addr, options->nameservers[i].address, 16);
            state->_u._ext.nsaddrs[i] = address;
        }
        state->_u._ext.nssocks[i] = -1;
    }
    state->nscount = options->nameserver_count;
    state->_u._ext.nscount = 0;
    return 0;
}

cresolv_resolver *cresolv_open(const cresolv_options *options, char *error, size_t error_size) {
    if (!cresolv_thread_owns_descriptors) {
        snprintf(error, error_size, "the thread shares its descriptor table (call cresolv_thread_init first)");
        return NULL;
    }
    pthread_once(&cresolv_process_setup_once, cresolv_process_setup);

    /* calloc: the answer buffer starts clean (dirty_length 0). */
    cresolv_resolver *resolver = calloc(1, sizeof *resolver);
    if (resolver == NULL) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    if (res_ninit(&resolver->state) != 0) {
        snprintf(error, error_size, "res_ninit failed: cannot read the resolver configuration");
        res_nclose(&resolver->state);
        free(resolver);
        return NULL;
    }
    resolver->state.retrans = options->timeout_seconds;
    resolver->state.retry = options->attempts;
    /* Queries go to the configured servers in order; rotation would make timing tests and logs unstable. */
    resolver->state.options &= ~(unsigned long)RES_ROTATE;
#ifdef RES_TRUSTAD
    /* As resolv.conf's "trust-ad": the query asks for AD, and glibc keeps AD in the reply instead of clearing it.
     * systemd-resolved marks the answers it makes up with AD only when asked; the Swift side needs the mark. */
    resolver->state.options |= RES_TRUSTAD;
#endif
#ifdef RES_NOAAAA
    /* resolv.conf's "options no-aaaa" makes glibc answer every AAAA query itself with NODATA: every IPv6 address
     * would fail forward confirmation. */
    resolver->state.options &= ~(unsigned long)RES_NOAAAA;
#endif
    if (options->use_tcp) {
        resolver->state.options |= RES_USEVC;
    }
    if (options->nameserver_count > 0 && cresolv_set_nameservers(&resolver->state, options) != 0) {
        snprintf(error, error_size, "out of memory");
        res_nclose(&resolver->state);
        free(resolver);
        return NULL;
    }
    if (resolver->state.nscount == 0) {
        snprintf(error, error_size, "no nameserver configured (none given and none in /etc/resolv.conf)");
        res_nclose(&resolver->state);
        free(resolver);
        return NULL;
    }
    resolver->deadline_ms = (long)resolver->state.retrans * 1000L * resolver->state.retry * resolver->state.nscount;

    struct sigevent event;
    memset(&event, 0, sizeof event);
    event.sigev_notify = SIGEV_THREAD_ID;
    event.sigev_signo = cresolv_deadline_signal();
    event._sigev_un._tid = gettid();
    if (timer_create(CLOCK_MONOTONIC, &event, &resolver->deadline_timer) != 0) {
        snprintf(error, error_size, "timer_create failed: %s", strerror(errno));
        res_nclose(&resolver->state);
        free(resolver);
        return NULL;
    }
    pthread_mutex_init(&resolver->lock, NULL);
    resolver->dead_end = cresolv_thread_dead_end;
    /* The caller may block signals in its threads (a daemon handling SIGTERM on one thread); this one must
     * reach this thread. */
    sigset_t deadline_set;
    sigemptyset(&deadline_set);
    sigaddset(&deadline_set, cresolv_deadline_signal());
    pthread_sigmask(SIG_UNBLOCK, &deadline_set, NULL);
    return resolver;
}

void cresolv_close(cresolv_resolver *resolver) {
    if (resolver == NULL) {
        return;
    }
    timer_delete(resolver->deadline_timer);
    pthread_mutex_destroy(&resolver->lock);
    res_nclose(&resolver->state);
    free(resolver);
}

long cresolv_deadline_ms(const cresolv_resolver *resolver) {
    return resolver->deadline_ms;
}

/* Arms the deadline (0: at once), then every 10 ms after it: each socket glibc opens for a later attempt is ended
 * within 10 ms, and a signal that lands between two blocking calls is not lost. */
static void cresolv_arm_deadline(cresolv_resolver *resolver, long deadline_ms) {
    struct itimerspec spec;
    memset(&spec, 0, sizeof spec);
    spec.it_value.tv_sec = deadline_ms / 1000;
    spec.it_value.tv_nsec = deadline_ms > 0 ? (deadline_ms % 1000) * 1000000L : 1;
    spec.it_interval.tv_nsec = 10 * 1000000L;
    timer_settime(resolver->deadline_timer, 0, &spec, NULL);
}

static void cresolv_disarm_deadline(cresolv_resolver *resolver) {
    struct itimerspec spec;
    memset(&spec, 0, sizeof spec);
    timer_settime(resolver->deadline_timer, 0, &spec, NULL);
}

const uint8_t *cresolv_reply(const cresolv_resolver *resolver) {
    return resolver->answer;
}

/* res_nquery adds an OPT record when resolv.conf asks for EDNS ("options edns0"); res_nmkquery does not, so this
 * does, as glibc's own __res_nopt does: its payload size, and the DO bit with RES_USE_DNSSEC. Returns the new
 * length, or -1 when it does not fit. */
static int cresolv_add_opt(const struct __res_state *state, uint8_t *query, int length, int size) {
    if (size - length < 1 + RRFIXEDSZ) {
        return -1;
    }
    uint8_t *position = query + length;
    *position++ = 0; /* the root name */
    NS_PUT16(ns_t_opt, position);
    NS_PUT16(CRESOLV_EDNS_PAYLOAD, position);
    *position++ = 0; /* extended RCODE */
    *position++ = 0; /* EDNS version */
    NS_PUT16((state->options & RES_USE_DNSSEC) ? NS_OPT_DNSSEC_OK : 0, position);
    NS_PUT16(0, position); /* no options */
    HEADER *header = (HEADER *)query;
    header->arcount = htons(ntohs(header->arcount) + 1);
    return (int)(position - query);
}

static uint8_t cresolv_ascii_lower(uint8_t byte) {
    return byte >= 'A' && byte <= 'Z' ? byte | 0x20 : byte;
}

/* Whether the message in the answer buffer is a reply to this very query, as the pipelined engine decides: its ID,
 * QR set, and exactly the query's one question (the name compared ignoring ASCII case). glibc's own test is the
 * same but for a question it cannot parse, which it lets pass.
 * After res_nsend gave up, the buffer holds whatever datagram came last, and that may be junk glibc threw away
 * (a wrong ID, another question, a short or garbled message): its RCODE says nothing about this query. */
static int cresolv_answers_query(const uint8_t *answer, const uint8_t *query, int query_length) {
    const HEADER *reply = (const HEADER *)answer;
    const HEADER *asked = (const HEADER *)query;
    if (reply->id != asked->id || !reply->qr || reply->qdcount != asked->qdcount) {
        return 0;
    }
    int name_length = dn_skipname(query + HFIXEDSZ, query + query_length);
    if (name_length < 0) {
        return 0;
    }
    for (int index = HFIXEDSZ; index < HFIXEDSZ + name_length + QFIXEDSZ; index++) {
        if (cresolv_ascii_lower(answer[index]) != cresolv_ascii_lower(query[index])) {
            return 0;
        }
    }
    return 1;
}

cresolv_result cresolv_query(cresolv_resolver *resolver, const char *name, int type, long deadline_ms,
                             int checking_disabled) {
    cresolv_result result = {.length = -1, .error_number = 0, .rcode = -1, .deadline_expired = 0,
                             .interrupted = 0};
    uint8_t query[CRESOLV_QUERY_SIZE];
    int query_length = res_nmkquery(&resolver->state, ns_o_query, name, ns_c_in, type, NULL, 0, NULL, query,
                                    (int)sizeof query);
    /* res_nmkquery has no option for CD: the bit is set in the header it built. */
    if (query_length > 0 && checking_disabled) {
        ((HEADER *)query)->cd = 1;
    }
    if (query_length > 0 && (resolver->state.options & (RES_USE_EDNS0 | RES_USE_DNSSEC)) != 0) {
        query_length = cresolv_add_opt(&resolver->state, query, query_length, (int)sizeof query);
    }
    if (query_length <= 0) {
        result.error_number = EINVAL;
        return result;
    }
    uint8_t *answer = resolver->answer;
    const int answer_size = CRESOLV_ANSWER_BUFFER_SIZE;
    /* No byte of an earlier reply may be read as part of this one: everything the last reply may have written is
     * zeroed. A zeroed header also never passes for a reply (QR clear). */
    memset(answer, 0, (size_t)(resolver->dirty_length > HFIXEDSZ ? resolver->dirty_length : HFIXEDSZ));

    pthread_mutex_lock(&resolver->lock);
    if (resolver->interrupted) {
        pthread_mutex_unlock(&resolver->lock);
        result.deadline_expired = 1;
        result.interrupted = 1;
        return result;
    }
    resolver->deadline_expired = 0;
    cresolv_active = resolver;
    cresolv_arm_deadline(resolver, deadline_ms > 0 && deadline_ms < resolver->deadline_ms ? deadline_ms
                                                                                          : resolver->deadline_ms);
    resolver->querying = 1;
    pthread_mutex_unlock(&resolver->lock);

    errno = 0;
    int length = res_nsend(&resolver->state, query, query_length, answer, answer_size);
    int saved_errno = errno;

    pthread_mutex_lock(&resolver->lock);
    cresolv_disarm_deadline(resolver);
    resolver->querying = 0;
    result.interrupted = resolver->interrupted;
    pthread_mutex_unlock(&resolver->lock);
    /* A signal generated before the timer was disarmed may still arrive: it finds no lookup, and glibc has
     * closed every socket of the state already (it keeps none open between queries without RES_STAYOPEN). */
    cresolv_active = NULL;

    const HEADER *header = (const HEADER *)answer;
    if (length > 0) {
        /* For a TCP reply longer than the buffer, glibc keeps what fits, sets TC and returns the full length. */
        result.length = length > answer_size ? answer_size : length;
        result.rcode = header->rcode;
    } else if (cresolv_answers_query(answer, query, query_length)) {
        /* A reply to this query that glibc did not return: SERVFAIL, REFUSED or NOTIMP on the last attempt. */
        result.rcode = header->rcode;
    }
    /* Without a known reply length, glibc may have received anything anywhere in the buffer. */
    resolver->dirty_length = result.length > 0 ? result.length : answer_size;
    result.error_number = saved_errno;
    result.deadline_expired = resolver->deadline_expired ? 1 : 0;
    return result;
}

void cresolv_interrupt(cresolv_resolver *resolver) {
    pthread_mutex_lock(&resolver->lock);
    resolver->interrupted = 1;
    if (resolver->querying) {
        cresolv_arm_deadline(resolver, 0);
    }
    pthread_mutex_unlock(&resolver->lock);
}
