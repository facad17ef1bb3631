/*
 * cresolv_leakcheck: drives CResolv (CResolv/cresolv.c over glibc's libresolv) through every path a lookup can
 * take, phase by phase, for valgrind memcheck. Run by Tests/Sanitizers/valgrind.sh, which starts the servers:
 *
 *   cresolv_leakcheck NSD_PORT FAULT_PORT CLOSED_PORT [ROUNDS] [--no-ipv6] [--only TEXT]
 *
 * NSD_PORT: NSD serving Tests/Zones on 127.0.0.1 (and ::1); FAULT_PORT: Tests/Soak/faultdns.py on the same
 * addresses; CLOSED_PORT: a loopback port where nothing listens. ROUNDS (default 20) scales the fast phases.
 *
 * Each phase opens resolvers, runs lookups, checks each result is the expected kind (so the path was really
 * taken: a TCP answer, a deadline that fired, ECONNREFUSED...), closes them, and then reports:
 *   - new definitely/indirectly/possibly lost and still-reachable bytes (memcheck's leak check, through its
 *     client requests; all zero when not under valgrind), in total and per lookup;
 *   - open file descriptors before and after (/proc/self/fd), which memcheck does not judge.
 * Exit status: 0 when every result was of the expected kind and no phase leaked a descriptor or lost memory
 * (definitely or indirectly); 1 otherwise. valgrind's own --error-exitcode covers invalid reads/writes and the leak kinds at exit.
 */
#define _GNU_SOURCE
#include "cresolv.h"

#include <arpa/nameser.h>
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <valgrind/memcheck.h>

enum expect {
    EXPECT_ANSWER,     /* a reply with RCODE NOERROR and at least one answer record */
    EXPECT_NXDOMAIN,   /* RCODE 3, length known */
    EXPECT_NODATA,     /* RCODE 0, no answer records */
    EXPECT_SERVFAIL,   /* no usable reply, RCODE 2 left in the buffer */
    EXPECT_REFUSED,    /* RCODE 5 */
    EXPECT_REFUSED_CONNECTION, /* nothing listening: ECONNREFUSED, no reply */
    EXPECT_TIMEOUT,    /* no reply at all (the deadline may fire as glibc's own timeout ends: then errno may be
                          ECONNREFUSED, glibc's "no nameserver found" after an interrupted poll) */
    EXPECT_DEADLINE,   /* the overall deadline cut the lookup short (stalled TCP, silent UDP), in time */
    EXPECT_FAILURE,    /* any lookup without a usable reply (a reset TCP connection, a truncated reply...) */
    EXPECT_MALFORMED,  /* a reply glibc accepted whose answer section does not parse (length may be anything) */
};

static const char *expect_names[] = {"answer", "nxdomain", "nodata", "servfail", "refused",
                                     "connection refused", "timeout", "deadline", "failure", "malformed"};

struct lookup {
    const char *name;
    int type;
    enum expect expect;
    int min_length; /* for EXPECT_ANSWER: e.g. > 512 for a reply that must have come over TCP */
    long deadline_ms; /* cresolv_query's own deadline (0: timeout x attempts x nameservers) */
};

struct server {
    const char *address;
    uint16_t port;
};

struct phase {
    const char *title;
    struct server servers[3];
    int server_count;
    int timeout;
    int attempts;
    const struct lookup *lookups;
    int lookup_count;
    int rounds;        /* how many times the lookups run */
    int reopen;        /* 1: a fresh resolver for every round (open/close churn); 0: one for the phase */
    int threads;       /* > 1: that many threads, each with its own resolver, run the rounds */
    int needs_ipv6;
    int use_tcp;       /* RES_USEVC: every query over TCP */
};

static int mismatches;

static int count_fds(void) {
    DIR *directory = opendir("/proc/self/fd");
    if (directory == NULL) {
        return -1;
    }
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(directory)) != NULL) {
        if (entry->d_name[0] != '.') {
            count++;
        }
    }
    closedir(directory);
    return count - 1; /* the directory's own descriptor */
}

static double now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1e3 + now.tv_nsec / 1e6;
}

static int answer_count(const uint8_t *reply) {
    return reply[6] << 8 | reply[7];
}

/* Whether the answer section of a reply of `length` bytes parses with libresolv's own parser. */
static int parses(const uint8_t *reply, int length) {
    ns_msg message;
    if (ns_initparse(reply, length, &message) != 0) {
        return 0;
    }
    for (int index = 0; index < ns_msg_count(message, ns_s_an); index++) {
        ns_rr record;
        if (ns_parserr(&message, ns_s_an, index, &record) != 0) {
            return 0;
        }
    }
    return 1;
}

static int matches(const struct lookup *lookup, cresolv_result result, const uint8_t *reply) {
    switch (lookup->expect) {
    case EXPECT_ANSWER:
        return result.length >= (lookup->min_length > 0 ? lookup->min_length : 12) && result.rcode == 0
            && answer_count(reply) > 0 && parses(reply, result.length);
    case EXPECT_NXDOMAIN:
        return result.length > 12 && result.rcode == 3;
    case EXPECT_NODATA:
        return result.length > 12 && result.rcode == 0 && answer_count(reply) == 0;
    case EXPECT_SERVFAIL:
        return result.length <= 0 && result.rcode == 2;
    case EXPECT_REFUSED:
        return result.length <= 0 && result.rcode == 5;
    case EXPECT_REFUSED_CONNECTION:
        return result.length <= 0 && result.rcode == -1 && result.error_number == ECONNREFUSED;
    case EXPECT_TIMEOUT:
        return result.length <= 0 && result.rcode == -1;
    case EXPECT_DEADLINE:
        return result.length <= 0 && result.deadline_expired;
    case EXPECT_FAILURE:
        return result.length <= 0;
    case EXPECT_MALFORMED:
        return result.length <= 0 || !parses(reply, result.length);
    }
    return 0;
}

static cresolv_resolver *open_resolver(const struct phase *phase) {
    cresolv_options options;
    cresolv_options_init(&options, phase->timeout, phase->attempts);
    options.use_tcp = phase->use_tcp;
    for (int i = 0; i < phase->server_count; i++) {
        if (cresolv_options_add_nameserver(&options, phase->servers[i].address, phase->servers[i].port) != 0) {
            fprintf(stderr, "%s: cannot add nameserver %s\n", phase->title, phase->servers[i].address);
            exit(2);
        }
    }
    char error[256];
    cresolv_resolver *resolver = cresolv_open(&options, error, sizeof error);
    if (resolver == NULL) {
        fprintf(stderr, "%s: cresolv_open failed: %s\n", phase->title, error);
        exit(2);
    }
    return resolver;
}

struct worker {
    const struct phase *phase;
    int done;
    int wrong;
};

/* How late a lookup cut short by its deadline may end: glibc's remaining attempts (10 ms each, see cresolv.c)
 * and valgrind's slower signal delivery. Without the deadline they take the whole timeout (1 s). */
static const double deadline_slack_ms = 250;

static void *run_rounds(void *context) {
    struct worker *worker = context;
    const struct phase *phase = worker->phase;
    char error[256];
    if (cresolv_thread_init(error, sizeof error) != 0) {
        fprintf(stderr, "%s: cresolv_thread_init failed: %s\n", phase->title, error);
        exit(2);
    }
    cresolv_resolver *resolver = phase->reopen ? NULL : open_resolver(phase);
    for (int round = 0; round < phase->rounds; round++) {
        if (phase->reopen) {
            resolver = open_resolver(phase);
        }
        for (int index = 0; index < phase->lookup_count; index++) {
            const struct lookup *lookup = &phase->lookups[index];
            double started = now_ms();
            cresolv_result result = cresolv_query(resolver, lookup->name, lookup->type, lookup->deadline_ms, 0);
            double elapsed = now_ms() - started;
            worker->done++;
            int late = lookup->expect == EXPECT_DEADLINE && lookup->deadline_ms > 0
                && elapsed > lookup->deadline_ms + deadline_slack_ms;
            if (!matches(lookup, result, cresolv_reply(resolver)) || late) {
                worker->wrong++;
                fprintf(stderr, "  %s: %s type %d: expected %s, got length %d errno %d (%s) rcode %d deadline %d "
                        "after %.0f ms\n",
                        phase->title, lookup->name, lookup->type, expect_names[lookup->expect], result.length,
                        result.error_number, strerror(result.error_number), result.rcode, result.deadline_expired,
                        elapsed);
            }
        }
        if (phase->reopen) {
            cresolv_close(resolver);
            resolver = NULL;
        }
    }
    cresolv_close(resolver);
    return NULL;
}

/* memcheck's totals from its last leak check: "lost" is definitely plus indirectly lost. */
struct leaks {
    unsigned long lost, possible, reachable, suppressed;
};

static struct leaks leak_check(void) {
    struct leaks leaks = {0};
    if (RUNNING_ON_VALGRIND) {
        VALGRIND_DO_QUICK_LEAK_CHECK;
        VALGRIND_COUNT_LEAKS(leaks.lost, leaks.possible, leaks.reachable, leaks.suppressed);
    }
    return leaks;
}

static int run_phase(const struct phase *phase, int have_ipv6) {
    if (phase->needs_ipv6 && !have_ipv6) {
        printf("%-34s skipped (no IPv6 loopback)\n", phase->title);
        return 0;
    }
    struct leaks before = leak_check();
    int fds_before = count_fds();
    double started = now_ms();

    int thread_count = phase->threads > 1 ? phase->threads : 1;
    struct worker workers[16];
    pthread_t threads[16];
    for (int i = 0; i < thread_count; i++) {
        workers[i] = (struct worker){.phase = phase};
        if (thread_count == 1) {
            run_rounds(&workers[i]);
        } else if (pthread_create(&threads[i], NULL, run_rounds, &workers[i]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            exit(2);
        }
    }
    int done = 0, wrong = 0;
    for (int i = 0; i < thread_count; i++) {
        if (thread_count > 1) {
            pthread_join(threads[i], NULL);
        }
        done += workers[i].done;
        wrong += workers[i].wrong;
    }

    double elapsed = now_ms() - started;
    int fds_after = count_fds();
    struct leaks after = leak_check();
    long lost = (long)(after.lost - before.lost);
    long possible = (long)(after.possible - before.possible);
    long reachable = (long)(after.reachable - before.reachable);
    printf("%-34s %5d lookups %7.0f ms  %3d wrong  lost %+6ld B (%+.1f/lookup)  possibly %+ld B  "
           "reachable %+ld B  fds %d -> %d\n",
           phase->title, done, elapsed, wrong, lost, done ? (double)lost / done : 0.0, possible, reachable,
           fds_before, fds_after);
    fflush(stdout);
    mismatches += wrong;
    /* "Possibly lost" is not counted: while threads of a phase have just ended, glibc's cached thread stacks
     * hold their TLS blocks (288 bytes each) through interior pointers only; they are freed by exit. */
    return (lost > 0 || fds_after != fds_before) ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s NSD_PORT FAULT_PORT CLOSED_PORT [ROUNDS] [--no-ipv6] [--only TEXT]\n", argv[0]);
        return 2;
    }
    uint16_t nsd = (uint16_t)atoi(argv[1]);
    uint16_t fault = (uint16_t)atoi(argv[2]);
    uint16_t closed = (uint16_t)atoi(argv[3]);
    int rounds = argc > 4 && argv[4][0] != '-' ? atoi(argv[4]) : 20;
    int have_ipv6 = 1;
    const char *only = NULL; /* --only TEXT: just the phases whose title contains TEXT */
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--no-ipv6") == 0) {
            have_ipv6 = 0;
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        }
    }
    if (rounds < 1) {
        rounds = 1;
    }
    /* As if resolv.conf said "options no-aaaa" (glibc 2.36 reads RES_OPTIONS with the file): the AAAA lookups
     * below must still be asked, or IPv6 addresses would all fail forward confirmation. */
    setenv("RES_OPTIONS", "no-aaaa", 1);

    static const struct lookup nsd_lookups[] = {
        {"10.2.0.192.in-addr.arpa", ns_t_ptr, EXPECT_ANSWER, 0},
        {"mail.example.test", ns_t_a, EXPECT_ANSWER, 0},
        {"12.2.0.192.in-addr.arpa", ns_t_ptr, EXPECT_NXDOMAIN, 0},
        {"24.2.0.192.in-addr.arpa", ns_t_ptr, EXPECT_NODATA, 0},
        {"chain9.example.test", ns_t_a, EXPECT_ANSWER, 0},
        {"65.2.0.192.in-addr.arpa", ns_t_ptr, EXPECT_ANSWER, 0},
        {"mail6.example.test", ns_t_aaaa, EXPECT_ANSWER, 0},
        {"5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", ns_t_ptr, EXPECT_ANSWER, 0},
    };
    static const struct lookup fast_fault_lookups[] = {
        {"servfail.soak.test", ns_t_ptr, EXPECT_SERVFAIL, 0},
        {"refused.soak.test", ns_t_ptr, EXPECT_REFUSED, 0},
        {"tcanswer.soak.test", ns_t_a, EXPECT_ANSWER, 0},
        {"big.soak.test", ns_t_a, EXPECT_ANSWER, 4000},
        {"tcreset.soak.test", ns_t_a, EXPECT_FAILURE, 0},
        {"garbage-answer.soak.test", ns_t_ptr, EXPECT_MALFORMED, 0},
        {"nothing.soak.test", ns_t_a, EXPECT_NXDOMAIN, 0},
    };
    static const struct lookup unreachable_lookups[] = {
        {"10.2.0.192.in-addr.arpa", ns_t_ptr, EXPECT_REFUSED_CONNECTION, 0},
    };
    static const struct lookup drop_lookups[] = {
        {"drop.soak.test", ns_t_ptr, EXPECT_TIMEOUT, 0},
        /* glibc rejects the garbage (its question does not match) and times out; the garbage stays in the buffer
         * with QR set and a random RCODE, which must not be reported (it answers no query of ours) */
        {"garbage.soak.test", ns_t_ptr, EXPECT_TIMEOUT, 0},
    };
    static const struct lookup stall_lookups[] = {
        {"tcstall.soak.test", ns_t_a, EXPECT_DEADLINE, 0, 0},
        {"tcanswer.soak.test", ns_t_a, EXPECT_ANSWER, 0, 0}, /* the next lookup after a deadline still works */
        {"tcstall.soak.test", ns_t_a, EXPECT_DEADLINE, 0, 300}, /* a per-query deadline shorter than the default */
        {"drop.soak.test", ns_t_a, EXPECT_DEADLINE, 0, 300},
    };
    static const struct lookup second_server_lookups[] = {
        {"mail.example.test", ns_t_a, EXPECT_ANSWER, 0},
    };

    const int slow = rounds / 10 > 2 ? rounds / 10 : 2;
    const struct phase phases[] = {
        {"NSD over IPv4, one resolver", {{"127.0.0.1", nsd}}, 1, 2, 2, nsd_lookups, 8, rounds, 0, 1, 0},
        {"NSD over IPv6, one resolver", {{"::1", nsd}}, 1, 2, 2, nsd_lookups, 8, rounds, 0, 1, 1},
        {"NSD IPv4, open/close per round", {{"127.0.0.1", nsd}}, 1, 2, 2, nsd_lookups, 8, rounds, 1, 1, 0},
        {"NSD IPv6, open/close per round", {{"::1", nsd}}, 1, 2, 2, nsd_lookups, 8, rounds, 1, 1, 1},
        {"3 nameservers v4+v6, open/close", {{"::1", closed}, {"127.0.0.1", nsd}, {"::1", nsd}}, 3, 1, 1,
         second_server_lookups, 1, rounds, 1, 1, 1},
        {"faults v4: SERVFAIL REFUSED TCP...", {{"127.0.0.1", fault}}, 1, 2, 1, fast_fault_lookups, 7, rounds, 0,
         1, 0},
        {"faults v6: SERVFAIL REFUSED TCP...", {{"::1", fault}}, 1, 2, 1, fast_fault_lookups, 7, rounds, 1, 1, 1},
        {"nothing listening v4", {{"127.0.0.1", closed}}, 1, 1, 2, unreachable_lookups, 1, rounds, 0, 1, 0},
        {"nothing listening v6, open/close", {{"::1", closed}}, 1, 1, 2, unreachable_lookups, 1, rounds, 1, 1, 1},
        {"UDP timeouts: drop, garbage", {{"127.0.0.1", fault}}, 1, 1, 1, drop_lookups, 2, slow, 0, 1, 0},
        {"TCP stall: deadline v4", {{"127.0.0.1", fault}}, 1, 1, 1, stall_lookups, 4, slow, 0, 1, 0},
        {"TCP stall: deadline v6, open/close", {{"::1", fault}}, 1, 1, 1, stall_lookups, 4, slow, 1, 1, 1},
        {"4 threads, NSD v4, open/close", {{"127.0.0.1", nsd}}, 1, 2, 2, nsd_lookups, 8, rounds, 1, 4, 0},
        {"4 threads, faults v6", {{"::1", fault}}, 1, 2, 1, fast_fault_lookups, 7, rounds / 2 + 1, 0, 4, 1},
        {"NSD v4, TCP only (RES_USEVC)", {{"127.0.0.1", nsd}}, 1, 2, 1, nsd_lookups, 8, rounds, 0, 1, 0, 1},
        {"NSD v6, TCP only, open/close", {{"::1", nsd}}, 1, 2, 1, nsd_lookups, 8, rounds, 1, 1, 1, 1},
    };

    printf("cresolv_leakcheck: NSD port %u, fault server port %u, closed port %u, %d rounds%s%s\n", nsd, fault,
           closed, rounds, have_ipv6 ? "" : ", no IPv6", RUNNING_ON_VALGRIND ? ", under valgrind" : "");
    /* The first lookups initialise glibc's one-time state (resolv.conf cache, NSS, locale): take that out of
     * the per-phase figures with one warm-up round. */
    struct phase warmup = phases[0];
    warmup.title = "(warm-up)";
    warmup.rounds = 1;
    run_phase(&warmup, have_ipv6);

    int leaking = 0;
    for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++) {
        if (only != NULL && strstr(phases[i].title, only) == NULL) {
            continue;
        }
        leaking += run_phase(&phases[i], have_ipv6);
    }
    printf("%d lookup(s) of the wrong kind, %d phase(s) losing memory or descriptors\n", mismatches, leaking);
    return mismatches == 0 && leaking == 0 ? 0 : 1;
}
