/*
 * CSocket: see include/csocket.h for why these wrappers exist.
 */
#define _GNU_SOURCE
#include "csocket.h"

#include <netinet/in.h>
#include <netinet/udp.h>
#include <stddef.h>

_Static_assert(sizeof(csocket_mmsghdr) == sizeof(struct mmsghdr), "csocket_mmsghdr must be struct mmsghdr");
_Static_assert(offsetof(csocket_mmsghdr, msg_hdr) == offsetof(struct mmsghdr, msg_hdr),
               "csocket_mmsghdr.msg_hdr must be where struct mmsghdr has it");
_Static_assert(offsetof(csocket_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len),
               "csocket_mmsghdr.msg_len must be where struct mmsghdr has it");
_Static_assert(CSOCKET_SOL_UDP == SOL_UDP, "CSOCKET_SOL_UDP must be SOL_UDP");
#ifdef UDP_SEGMENT
_Static_assert(CSOCKET_UDP_SEGMENT == UDP_SEGMENT, "CSOCKET_UDP_SEGMENT must be UDP_SEGMENT");
#endif

int csocket_sendmmsg(int socket, csocket_mmsghdr *messages, unsigned int count, int flags) {
    return sendmmsg(socket, (struct mmsghdr *)messages, count, flags);
}

int csocket_recvmmsg(int socket, csocket_mmsghdr *messages, unsigned int count, int flags) {
    return recvmmsg(socket, (struct mmsghdr *)messages, count, flags, NULL);
}

struct cmsghdr *csocket_cmsg_firsthdr(const struct msghdr *header) {
    return CMSG_FIRSTHDR(header);
}

uint8_t *csocket_cmsg_data(struct cmsghdr *control) {
    return CMSG_DATA(control);
}

size_t csocket_cmsg_len(size_t payload) {
    return CMSG_LEN(payload);
}

size_t csocket_cmsg_space(size_t payload) {
    return CMSG_SPACE(payload);
}
