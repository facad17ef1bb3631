/*
 * CSocket: the Linux socket interfaces of rdnscheck's pipelined engine (RDNSEngine) that Swift cannot reach.
 *
 * Why it exists: Swift's Glibc module is built without _GNU_SOURCE, so it has no sendmmsg, recvmmsg or struct
 * mmsghdr, and it does not import epoll, eventfd or getrandom; the CMSG_* accessors are macros, which Swift does
 * not import. Every function here is one call over one system call or macro and decides nothing: retries on
 * EINTR, batching, the GSO decision and every other policy are in Swift (Sources/RDNSEngine).
 */
#ifndef CSOCKET_H
#define CSOCKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

/* struct mmsghdr (sys/socket.h, visible only with _GNU_SOURCE), spelled out; csocket.c checks that the layout is
 * the C library's. */
typedef struct {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} csocket_mmsghdr;

/* UDP_SEGMENT (linux/udp.h, Linux 4.18) at level SOL_UDP: the segment size of a UDP GSO send. */
#define CSOCKET_SOL_UDP 17
#define CSOCKET_UDP_SEGMENT 103

/* sendmmsg(2) and recvmmsg(2) (the latter without a timeout). */
int csocket_sendmmsg(int socket, csocket_mmsghdr *messages, unsigned int count, int flags);
int csocket_recvmmsg(int socket, csocket_mmsghdr *messages, unsigned int count, int flags);

/* The CMSG_* macros of cmsg(3). */
struct cmsghdr *csocket_cmsg_firsthdr(const struct msghdr *header);
uint8_t *csocket_cmsg_data(struct cmsghdr *control);
size_t csocket_cmsg_len(size_t payload);
size_t csocket_cmsg_space(size_t payload);

#ifdef __cplusplus
}
#endif

#endif
