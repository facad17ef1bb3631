/*
 * CResolv: see include/cresolv.h for why this shim exists and how it may be used.
 */
#define _GNU_SOURCE
#include "cresolv.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <resolv.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

_Static_assert(CRESOLV_MAX_NAMESERVERS == MAXNS, "the option list mirrors res_state's nameserver slots");
_Static_assert(CRESOLV_ANSWER_BUFFER_SIZE >= 65535, "the answer buffer holds the largest TCP message");

struct cresolv_resolver {
    struct __res_state state;
    timer_t deadline_timer;
    long deadline_ms;
    volatile sig_atomic_t deadline_expired;
    /* How much of answer may hold bytes of an earlier reply: zeroed before the next query. */
    int dirty_length;
    uint8_t answer[CRESOLV_ANSWER_BUFFER_SIZE];
};

/* The resolver whose lookup is in progress on this thread, for the deadline signal handler. volatile: only the
 * handler reads it, so without it an optimiser may drop the stores around res_nquery (GCC -O1 does). */
static __thread cresolv_resolver *volatile cresolv_active;

static pthread_once_t cresolv_process_setup_once = PTHREAD_ONCE_INIT;

static int cresolv_deadline_signal(void) {
    return SIGRTMIN + 3;
}

/*
 * glibc's TCP path (send_vc) blocks in read() inside TEMP_FAILURE_RETRY with no timeout, so a server that
 * accepts and never answers would hang the lookup forever. When the deadline passes, this handler, running on
 * the looking-up thread, shuts that thread's TCP socket down: the retried read() then sees EOF and res_nquery
 * gives up. connect() is not retried on EINTR, so a hanging connect ends too. Only async-signal-safe calls.
 */
static void cresolv_on_deadline(int signal_number) {
    (void)signal_number;
    int saved_errno = errno;
    cresolv_resolver *resolver = cresolv_active;
    if (resolver != NULL) {
        resolver->deadline_expired = 1;
        if (resolver->state._vcsock >= 0) {
            shutdown(resolver->state._vcsock, SHUT_RDWR);
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
    /* glibc writes to the TCP socket with writev(), not send(MSG_NOSIGNAL): after the deadline has shut the
     * socket down, SIGPIPE would kill the process. */
    signal(SIGPIPE, SIG_IGN);
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
    res_nclose(&resolver->state);
    free(resolver);
}

long cresolv_deadline_ms(const cresolv_resolver *resolver) {
    return resolver->deadline_ms;
}

/* Arms the deadline, then every 50 ms after it: a signal that lands between two blocking calls is not lost. */
static void cresolv_arm_deadline(cresolv_resolver *resolver, long deadline_ms) {
    struct itimerspec spec;
    memset(&spec, 0, sizeof spec);
    spec.it_value.tv_sec = deadline_ms / 1000;
    spec.it_value.tv_nsec = (deadline_ms % 1000) * 1000000L;
    spec.it_interval.tv_nsec = 50 * 1000000L;
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

/* The length of the DNS message at the start of buf, found by walking its four sections, or -1 when they run
 * past size. Needed because res_nquery returns -1, not the length, for NXDOMAIN and NODATA replies. */
static int cresolv_message_length(const uint8_t *message, int size) {
    if (size < HFIXEDSZ) {
        return -1;
    }
    const HEADER *header = (const HEADER *)message;
    const int counts[4] = {ntohs(header->qdcount), ntohs(header->ancount), ntohs(header->nscount),
                           ntohs(header->arcount)};
    const uint8_t *position = message + HFIXEDSZ;
    const uint8_t *end = message + size;
    for (int section = 0; section < 4; section++) {
        for (int index = 0; index < counts[section]; index++) {
            int name_length = dn_skipname(position, end);
            if (name_length < 0) {
                return -1;
            }
            position += name_length;
            int fixed = section == 0 ? QFIXEDSZ : RRFIXEDSZ;
            if (end - position < fixed) {
                return -1;
            }
            int data_length = section == 0 ? 0 : (position[8] << 8 | position[9]);
            position += fixed;
            if (end - position < data_length) {
                return -1;
            }
            position += data_length;
        }
    }
    return (int)(position - message);
}

cresolv_result cresolv_query(cresolv_resolver *resolver, const char *name, int type, long deadline_ms) {
    cresolv_result result = {.length = -1, .h_errno_value = 0, .error_number = 0, .rcode = -1,
                             .deadline_expired = 0};
    uint8_t *answer = resolver->answer;
    const int answer_size = CRESOLV_ANSWER_BUFFER_SIZE;
    /* A zeroed header tells "no reply arrived" (QR clear) apart from a SERVFAIL or REFUSED reply, which glibc
     * reports with the same TRY_AGAIN as a timeout; and no byte of an earlier reply may be read as part of
     * this one, so everything the last reply may have written is zeroed too. */
    memset(answer, 0, (size_t)(resolver->dirty_length > HFIXEDSZ ? resolver->dirty_length : HFIXEDSZ));
    resolver->deadline_expired = 0;
    resolver->state.res_h_errno = 0;
    cresolv_active = resolver;
    cresolv_arm_deadline(resolver, deadline_ms > 0 && deadline_ms < resolver->deadline_ms ? deadline_ms
                                                                                          : resolver->deadline_ms);

    errno = 0;
    int length = res_nquery(&resolver->state, name, ns_c_in, type, answer, answer_size);
    int saved_errno = errno;

    cresolv_disarm_deadline(resolver);
    cresolv_active = NULL;
    if (resolver->deadline_expired && resolver->state._vcsock >= 0) {
        /* The shut-down TCP socket must not be reused by the next query. */
        close(resolver->state._vcsock);
        resolver->state._vcsock = -1;
        resolver->state._flags = 0;
    }

    const HEADER *header = (const HEADER *)answer;
    if (length > 0) {
        /* For a TCP reply longer than the buffer, glibc keeps what fits, sets TC and returns the full length. */
        result.length = length > answer_size ? answer_size : length;
    } else if (header->qr && (resolver->state.res_h_errno == HOST_NOT_FOUND || resolver->state.res_h_errno == NO_DATA
                              || resolver->state.res_h_errno == NO_RECOVERY)) {
        /* res_nquery accepted this reply (NXDOMAIN, NODATA, FORMERR/NOTIMP/REFUSED) but did not return its length.
         * Not so for TRY_AGAIN: after a timeout the buffer may hold a reply glibc rejected (wrong ID or question),
         * which must never be read as an answer; only its RCODE is reported. */
        result.length = cresolv_message_length(answer, answer_size);
    }
    /* Without a known reply length, glibc may have received anything anywhere in the buffer. */
    resolver->dirty_length = result.length > 0 ? result.length : answer_size;
    result.h_errno_value = resolver->state.res_h_errno;
    result.error_number = saved_errno;
    result.deadline_expired = resolver->deadline_expired ? 1 : 0;
    if (header->qr) {
        result.rcode = header->rcode;
    }
    return result;
}
