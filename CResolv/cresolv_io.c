/*
 * CResolv I/O: see include/cresolv_io.h for why these wrappers exist.
 */
#define _GNU_SOURCE
#include "cresolv_io.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* linux/udp.h, Linux 4.18 */
#endif

/* The largest batch one call handles; callers pass at most this many. */
#define CRESOLV_IO_BATCH 64

/* The nameserver's socket address; returns its length. */
static socklen_t nameserver_address(int family, const uint8_t *address, uint16_t port,
                                    struct sockaddr_storage *storage) {
    memset(storage, 0, sizeof *storage);
    if (family == AF_INET) {
        struct sockaddr_in *v4 = (struct sockaddr_in *)storage;
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        memcpy(&v4->sin_addr, address, 4);
        return sizeof *v4;
    }
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)storage;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    memcpy(&v6->sin6_addr, address, 16);
    return sizeof *v6;
}

/* A non-blocking socket of type (SOCK_DGRAM or SOCK_STREAM) connected, or for TCP connecting, to the nameserver. */
static int open_connected(int type, int family, const uint8_t *address, uint16_t port, int receive_buffer) {
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    if (receive_buffer > 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer, sizeof receive_buffer) != 0) {
        /* Without CAP_NET_ADMIN: as much as net.core.rmem_max allows. */
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    }
    struct sockaddr_storage storage;
    socklen_t length = nameserver_address(family, address, port, &storage);
    if (connect(fd, (struct sockaddr *)&storage, length) != 0 && !(type == SOCK_STREAM && errno == EINPROGRESS)) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int cresolv_udp_open(int family, const uint8_t *address, uint16_t port, int receive_buffer) {
    return open_connected(SOCK_DGRAM, family, address, port, receive_buffer);
}

int cresolv_tcp_open(int family, const uint8_t *address, uint16_t port) {
    return open_connected(SOCK_STREAM, family, address, port, 0);
}

long cresolv_tcp_write(int socket, const uint8_t *data, size_t length) {
    ssize_t written;
    do {
        written = send(socket, data, length, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (written < 0 && errno == EINTR);
    return (long)written;
}

long cresolv_tcp_read(int socket, uint8_t *buffer, size_t length) {
    ssize_t count;
    do {
        count = recv(socket, buffer, length, MSG_DONTWAIT);
    } while (count < 0 && errno == EINTR);
    return (long)count;
}

int cresolv_udp_receive_buffer(int socket) {
    int size = 0;
    socklen_t length = sizeof size;
    return getsockopt(socket, SOL_SOCKET, SO_RCVBUF, &size, &length) == 0 ? size : -1;
}

/* Whether UDP segmentation offload (GSO, Linux 4.18) works for these sockets; cleared for the process the first
 * time the kernel or the route refuses it. */
static atomic_int gso_usable = 1;

/* One sendmmsg of datagrams with runs of equal length merged: each run is one message of several iovecs with a
 * UDP_SEGMENT control message, which the kernel cuts into the same datagrams again, but routes, builds and
 * delivers as one. Returns the datagrams sent, or -1 with errno. */
static int send_batch_segmented(int socket, const uint8_t *data, const uint32_t *offsets, const uint16_t *lengths,
                                int count) {
    struct mmsghdr messages[CRESOLV_IO_BATCH];
    struct iovec vectors[CRESOLV_IO_BATCH];
    union {
        char buffer[CMSG_SPACE(sizeof(uint16_t))];
        struct cmsghdr align;
    } controls[CRESOLV_IO_BATCH];
    int first[CRESOLV_IO_BATCH + 1];
    int runs = 0;
    memset(messages, 0, sizeof(struct mmsghdr) * (size_t)count);
    for (int i = 0; i < count;) {
        int end = i + 1;
        while (end < count && lengths[end] == lengths[i]) {
            end++;
        }
        for (int k = i; k < end; k++) {
            vectors[k].iov_base = (void *)(data + offsets[k]);
            vectors[k].iov_len = lengths[k];
        }
        struct msghdr *header = &messages[runs].msg_hdr;
        header->msg_iov = &vectors[i];
        header->msg_iovlen = (size_t)(end - i);
        if (end - i > 1) {
            memset(&controls[runs], 0, sizeof controls[runs]);
            header->msg_control = controls[runs].buffer;
            header->msg_controllen = sizeof controls[runs].buffer;
            struct cmsghdr *control = CMSG_FIRSTHDR(header);
            control->cmsg_level = SOL_UDP;
            control->cmsg_type = UDP_SEGMENT;
            control->cmsg_len = CMSG_LEN(sizeof(uint16_t));
            uint16_t size = lengths[i];
            memcpy(CMSG_DATA(control), &size, sizeof size);
        }
        first[runs++] = i;
        i = end;
    }
    first[runs] = count;
    int sent;
    do {
        sent = sendmmsg(socket, messages, (unsigned int)runs, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    return sent < 0 ? -1 : first[sent];
}

int cresolv_udp_send_batch(int socket, const uint8_t *data, const uint32_t *offsets, const uint16_t *lengths,
                           int count) {
    if (count > CRESOLV_IO_BATCH) {
        count = CRESOLV_IO_BATCH;
    }
    if (atomic_load_explicit(&gso_usable, memory_order_relaxed)) {
        int sent = send_batch_segmented(socket, data, offsets, lengths, count);
        if (sent >= 0) {
            return sent;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return 0;
        }
        if (errno != EINVAL && errno != EIO && errno != ENOPROTOOPT && errno != EOPNOTSUPP) {
            return -1;
        }
        /* This kernel, socket or route cannot segment: send datagram by datagram from now on. */
        atomic_store_explicit(&gso_usable, 0, memory_order_relaxed);
    }
    struct mmsghdr messages[CRESOLV_IO_BATCH];
    struct iovec vectors[CRESOLV_IO_BATCH];
    memset(messages, 0, sizeof(struct mmsghdr) * (size_t)count);
    for (int i = 0; i < count; i++) {
        vectors[i].iov_base = (void *)(data + offsets[i]);
        vectors[i].iov_len = lengths[i];
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
    }
    int sent;
    do {
        sent = sendmmsg(socket, messages, (unsigned int)count, MSG_DONTWAIT | MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return 0;
    }
    return sent;
}

int cresolv_udp_receive_batch(int socket, uint8_t *buffer, int stride, uint16_t *lengths, int max) {
    struct mmsghdr messages[CRESOLV_IO_BATCH];
    struct iovec vectors[CRESOLV_IO_BATCH];
    if (max > CRESOLV_IO_BATCH) {
        max = CRESOLV_IO_BATCH;
    }
    memset(messages, 0, sizeof(struct mmsghdr) * (size_t)max);
    for (int i = 0; i < max; i++) {
        vectors[i].iov_base = buffer + (size_t)i * (size_t)stride;
        vectors[i].iov_len = (size_t)stride;
        messages[i].msg_hdr.msg_iov = &vectors[i];
        messages[i].msg_hdr.msg_iovlen = 1;
    }
    int received;
    do {
        received = recvmmsg(socket, messages, (unsigned int)max, MSG_DONTWAIT, NULL);
    } while (received < 0 && errno == EINTR);
    if (received < 0) {
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    }
    for (int i = 0; i < received; i++) {
        int truncated = (messages[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
        lengths[i] = truncated ? (uint16_t)(stride + 1) : (uint16_t)messages[i].msg_len;
    }
    return received;
}

int cresolv_poll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

int cresolv_poll_add(int poller, int fd, uint64_t tag) {
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    event.events = EPOLLIN;
    event.data.u64 = tag;
    return epoll_ctl(poller, EPOLL_CTL_ADD, fd, &event);
}

int cresolv_poll_watch(int poller, int fd, uint64_t tag, int for_output, int change) {
    struct epoll_event event;
    memset(&event, 0, sizeof event);
    event.events = for_output ? EPOLLOUT : EPOLLIN;
    event.data.u64 = tag;
    return epoll_ctl(poller, change ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event);
}

int cresolv_poll_wait(int poller, uint64_t *tags, int max, int timeout_ms) {
    struct epoll_event events[CRESOLV_IO_BATCH];
    if (max > CRESOLV_IO_BATCH) {
        max = CRESOLV_IO_BATCH;
    }
    int ready = epoll_wait(poller, events, max, timeout_ms);
    if (ready < 0) {
        return errno == EINTR ? 0 : -1;
    }
    for (int i = 0; i < ready; i++) {
        tags[i] = events[i].data.u64;
    }
    return ready;
}

int cresolv_random_fill(void *buffer, size_t size) {
    size_t filled = 0;
    while (filled < size) {
        ssize_t count = getrandom((uint8_t *)buffer + filled, size - filled, 0);
        if (count < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        filled += (size_t)count;
    }
    return 0;
}

int cresolv_wake_create(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

void cresolv_wake_signal(int wake) {
    uint64_t one = 1;
    ssize_t written;
    do {
        written = write(wake, &one, sizeof one);
    } while (written < 0 && errno == EINTR);
}

void cresolv_wake_drain(int wake) {
    uint64_t value;
    while (read(wake, &value, sizeof value) > 0) {
    }
}
