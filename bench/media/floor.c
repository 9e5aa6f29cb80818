/*
 * The floor of the media benchmark: only the UDP work of N G.711 streams, nothing else.
 * N sockets in pairs on 127.0.0.1; a 20 ms timerfd tick; on each tick every socket sends one
 * 172-octet datagram (12-octet RTP header + 160 octets of PCMU) to its partner; one epoll loop
 * receives everything. Runs `seconds` after a 1 s warm-up and prints JSON with the process CPU
 * time (getrusage) and packet counts.  Usage: floor N seconds
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu_s(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
}

static long rss_kb(void) {
  FILE* f = fopen("/proc/self/statm", "r");
  long pages = 0, res = 0;
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
    fclose(f);
  }
  return res * (sysconf(_SC_PAGESIZE) / 1024);
}

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 100;
  double seconds = argc > 2 ? atof(argv[2]) : 10;
  if (n < 2) n = 2;
  n &= ~1;
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  long rss0 = rss_kb();
  int* fd = calloc((size_t)n, sizeof(int));
  struct sockaddr_in* addr = calloc((size_t)n, sizeof(struct sockaddr_in));
  int ep = epoll_create1(0);
  for (int i = 0; i < n; i++) {
    fd[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd[i] < 0) { perror("socket"); return 1; }
    addr[i].sin_family = AF_INET;
    addr[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd[i], (struct sockaddr*)&addr[i], sizeof addr[i]) != 0) { perror("bind"); return 1; }
    socklen_t len = sizeof addr[i];
    getsockname(fd[i], (struct sockaddr*)&addr[i], &len);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd[i], &ev);
  }
  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  struct itimerspec its = {{0, 20000000}, {0, 20000000}};
  timerfd_settime(tfd, 0, &its, NULL);
  struct epoll_event tev = {.events = EPOLLIN, .data.u32 = 0xFFFFFFFFu};
  epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &tev);
  unsigned char pkt[172], buf[2048];
  memset(pkt, 0xFF, sizeof pkt);
  pkt[0] = 0x80;
  uint64_t sent = 0, received = 0;
  double start = now_s(), measureFrom = start + 1.0, end = measureFrom + seconds;
  double cpu0 = 0;
  int measuring = 0;
  struct epoll_event evs[256];
  while (now_s() < end) {
    if (!measuring && now_s() >= measureFrom) {
      measuring = 1;
      cpu0 = cpu_s();
      sent = received = 0;
    }
    int k = epoll_wait(ep, evs, 256, 100);
    for (int e = 0; e < k; e++) {
      if (evs[e].data.u32 == 0xFFFFFFFFu) {
        uint64_t x;
        if (read(tfd, &x, sizeof x) != sizeof x) continue;
        for (int i = 0; i < n; i++) {
          int peer = i ^ 1;
          if (sendto(fd[i], pkt, sizeof pkt, 0, (struct sockaddr*)&addr[peer], sizeof addr[peer]) > 0) sent++;
        }
      } else {
        int i = (int)evs[e].data.u32;
        for (int r = 0; r < 64; r++) {
          ssize_t got = recv(fd[i], buf, sizeof buf, 0);
          if (got < 0) break;
          received++;
        }
      }
    }
  }
  double cpu = cpu_s() - cpu0;
  printf("{\"streams\":%d,\"seconds\":%.3f,\"cpuSeconds\":%.4f,\"sent\":%llu,\"received\":%llu,\"rssDeltaKb\":%ld}\n", n, seconds, cpu,
         (unsigned long long)sent, (unsigned long long)received, rss_kb() - rss0);
  return 0;
}
