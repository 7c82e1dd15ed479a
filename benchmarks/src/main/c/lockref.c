/*
 * C reference for Interlock's multi-process benchmark: the primitives podman's lock package uses,
 * hammered the way the Java child (dev.interlock.benchmarks.multiprocess.HammerChild) hammers ours.
 *
 *   lockref init    /shm-name                       create the segment, initialise the mutex
 *   lockref unlink  /shm-name                       remove the segment
 *   lockref pthread /shm-name threads duration_ms   hammer the robust process-shared mutex
 *   lockref fcntl   /path/to/file 1 duration_ms     hammer an fcntl record lock on byte 0
 *
 * A hammering process prints PREPARED once it is ready, waits for a line GO on standard input,
 * runs for duration_ms, and prints one line in the same format as the Java child:
 *
 *   RESULT pairs=N elapsed_ns=N cpu_ns=N hist=index:count,...
 *
 * The histogram uses the buckets of WaitHistogram.java: exact below 32 ns, then 16 per power of
 * two. Each lock() call is timed with two clock_gettime(CLOCK_MONOTONIC) reads, as the Java side
 * does with System.nanoTime(), so both pay the same measuring cost.
 *
 * Build: gcc -O2 -pthread -o lockref lockref.c (benchmarks/run.sh does this).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SUB_BUCKET_BITS 4
#define SUB_BUCKETS (1 << SUB_BUCKET_BITS)
#define BUCKETS ((63 - SUB_BUCKET_BITS + 1) * SUB_BUCKETS)
#define MAX_THREADS 64

/* The segment: one mutex on its own cache line, as podman keeps one per lock. */
struct segment {
    pthread_mutex_t mutex;
} __attribute__((aligned(64)));

struct worker {
    pthread_t thread;
    int (*lock)(void *);
    int (*unlock)(void *);
    void *target;
    long long duration_ns;
    unsigned long long pairs;
    unsigned long long cpu_ns;
    unsigned long long counts[BUCKETS];
};

static pthread_barrier_t start_barrier;

static void die(const char *what, int error) {
    printf("ERROR %s: %s\n", what, strerror(error));
    fflush(stdout);
    exit(1);
}

static long long now_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int bucket_of(long long ns) {
    if (ns < SUB_BUCKETS) {
        return ns < 0 ? 0 : (int) ns;
    }
    int exponent = 63 - __builtin_clzll((unsigned long long) ns);
    int sub = (int) ((unsigned long long) ns >> (exponent - SUB_BUCKET_BITS)) & (SUB_BUCKETS - 1);
    return (exponent - SUB_BUCKET_BITS + 1) * SUB_BUCKETS + sub;
}

/*
 * What podman's take_mutex does: retry on EAGAIN, and when the previous owner died holding the
 * robust mutex (EOWNERDEAD, returned with the mutex held) mark it consistent and carry on; the
 * benchmark protects no data that could be half-written.
 */
static int pthread_take(void *target) {
    pthread_mutex_t *mutex = target;
    int rc;
    do {
        rc = pthread_mutex_lock(mutex);
    } while (rc == EAGAIN);
    if (rc == EOWNERDEAD) {
        rc = pthread_mutex_consistent(mutex);
    }
    return rc;
}

static int pthread_give(void *target) {
    return pthread_mutex_unlock(target);
}

static int fcntl_set(int fd, short type, int command) {
    struct flock region = {.l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    int rc;
    do {
        rc = fcntl(fd, command, &region);
    } while (rc == -1 && errno == EINTR);
    return rc == -1 ? errno : 0;
}

static int fcntl_take(void *target) {
    return fcntl_set(*(int *) target, F_WRLCK, F_SETLKW);
}

static int fcntl_give(void *target) {
    return fcntl_set(*(int *) target, F_UNLCK, F_SETLK);
}

static void *hammer(void *argument) {
    struct worker *w = argument;
    pthread_barrier_wait(&start_barrier);
    long long cpu_before = now_ns(CLOCK_THREAD_CPUTIME_ID);
    long long deadline = now_ns(CLOCK_MONOTONIC) + w->duration_ns;
    unsigned long long pairs = 0;
    long long called;
    while ((called = now_ns(CLOCK_MONOTONIC)) < deadline) {
        int rc = w->lock(w->target);
        if (rc != 0) {
            die("lock", rc);
        }
        long long acquired = now_ns(CLOCK_MONOTONIC);
        rc = w->unlock(w->target);
        if (rc != 0) {
            die("unlock", rc);
        }
        w->counts[bucket_of(acquired - called)]++;
        pairs++;
    }
    w->pairs = pairs;
    w->cpu_ns = (unsigned long long) (now_ns(CLOCK_THREAD_CPUTIME_ID) - cpu_before);
    return NULL;
}

static struct segment *map_segment(const char *name, int flags) {
    int fd = shm_open(name, flags, 0600);
    if (fd == -1) {
        die(name, errno);
    }
    if ((flags & O_CREAT) && ftruncate(fd, sizeof(struct segment)) == -1) {
        die("ftruncate", errno);
    }
    void *memory = mmap(NULL, sizeof(struct segment), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (memory == MAP_FAILED) {
        die("mmap", errno);
    }
    close(fd);
    return memory;
}

/* Podman's init_lock: process-shared so every process can use it, robust so a dead owner does not wedge it. */
static void init_segment(const char *name) {
    struct segment *segment = map_segment(name, O_RDWR | O_CREAT | O_EXCL);
    pthread_mutexattr_t attributes;
    int rc = pthread_mutexattr_init(&attributes);
    if (rc == 0) rc = pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
    if (rc == 0) rc = pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST);
    if (rc == 0) rc = pthread_mutex_init(&segment->mutex, &attributes);
    if (rc != 0) {
        die("pthread_mutex_init", rc);
    }
    pthread_mutexattr_destroy(&attributes);
}

static void await_go(void) {
    char line[16];
    printf("PREPARED\n");
    fflush(stdout);
    if (fgets(line, sizeof line, stdin) == NULL || strncmp(line, "GO", 2) != 0) {
        die("expected GO on standard input", EPROTO);
    }
}

static void report(struct worker *workers, int threads, long long elapsed_ns) {
    unsigned long long pairs = 0, cpu_ns = 0;
    static unsigned long long counts[BUCKETS];
    for (int t = 0; t < threads; t++) {
        pairs += workers[t].pairs;
        cpu_ns += workers[t].cpu_ns;
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] += workers[t].counts[i];
        }
    }
    printf("RESULT pairs=%llu elapsed_ns=%lld cpu_ns=%llu hist=", pairs, elapsed_ns, cpu_ns);
    const char *separator = "";
    for (int i = 0; i < BUCKETS; i++) {
        if (counts[i] != 0) {
            printf("%s%d:%llu", separator, i, counts[i]);
            separator = ",";
        }
    }
    printf("%s\n", *separator == '\0' ? "-" : "");
    fflush(stdout);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "init") == 0) {
        init_segment(argv[2]);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "unlink") == 0) {
        return shm_unlink(argv[2]) == 0 ? 0 : (die(argv[2], errno), 1);
    }
    int threads = argc == 5 ? atoi(argv[3]) : 0;
    if (threads < 1 || threads > MAX_THREADS) {
        fprintf(stderr, "usage: %s init|unlink /shm-name\n"
                        "       %s pthread /shm-name threads duration_ms\n"
                        "       %s fcntl /path/to/file 1 duration_ms\n",
                argv[0], argv[0], argv[0]);
        return 2;
    }
    static struct worker workers[MAX_THREADS];
    void *target;
    int fd;
    if (strcmp(argv[1], "pthread") == 0) {
        target = &map_segment(argv[2], O_RDWR)->mutex;
        for (int t = 0; t < threads; t++) {
            workers[t].lock = pthread_take;
            workers[t].unlock = pthread_give;
        }
    } else if (strcmp(argv[1], "fcntl") == 0) {
        /* fcntl record locks belong to the process: two threads of one process would not exclude each other. */
        if (threads != 1) {
            die("fcntl record locks do not exclude threads of one process; use 1 thread", EINVAL);
        }
        fd = open(argv[2], O_RDWR | O_CREAT, 0600);
        if (fd == -1) {
            die(argv[2], errno);
        }
        target = &fd;
        workers[0].lock = fcntl_take;
        workers[0].unlock = fcntl_give;
    } else {
        die(argv[1], EINVAL);
        return 2;
    }
    long long duration_ns = atoll(argv[4]) * 1000000LL;
    pthread_barrier_init(&start_barrier, NULL, (unsigned) threads + 1);
    for (int t = 0; t < threads; t++) {
        workers[t].target = target;
        workers[t].duration_ns = duration_ns;
        int rc = pthread_create(&workers[t].thread, NULL, hammer, &workers[t]);
        if (rc != 0) {
            die("pthread_create", rc);
        }
    }
    await_go();
    long long begin = now_ns(CLOCK_MONOTONIC);
    pthread_barrier_wait(&start_barrier);
    for (int t = 0; t < threads; t++) {
        pthread_join(workers[t].thread, NULL);
    }
    report(workers, threads, now_ns(CLOCK_MONOTONIC) - begin);
    return 0;
}
