// SPDX-License-Identifier: GPL-2.0
/*
 * A machine is one boot of the guest: RAM, the interrupt controller, the
 * devices on the MMIO bus, what the loader put in RAM, and the vCPUs. A
 * guest reset throws the whole machine away and builds a new one, so no
 * state can leak from one boot into the next.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <libfdt.h>

#include <armz/err.h>
#include <armz/fdt.h>
#include <armz/loader.h>
#include <armz/memmap.h>
#include <armz/pvpanic.h>
#include <armz/test-exit.h>
#include <armz/uart.h>
#include <armz/p9.h>
#include <armz/virtio-blk.h>
#include <armz/virtio-console.h>
#include <armz/virtio-net.h>
#include <armz/virtio-rng.h>
#include <armz/virtio.h>
#include "machine.h"

#define HUGE_2M (2UL << 20)

/* How long a panicking guest gets to finish printing its trace. */
#define PANIC_GRACE_NS	(3ULL * 1000000000)

uint64_t stats_now(const struct vm_stats *s)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec -
	       s->start_ns;
}

/* Only the first time counts; later calls are cheap no-ops. */
void stats_mark(struct vm_stats *s, enum vm_moment at)
{
	uint64_t zero = 0;

	if (!atomic_load_explicit(&s->at[at], memory_order_relaxed))
		atomic_compare_exchange_strong(&s->at[at], &zero,
					       stats_now(s) ?: 1);
}

static void machine_wake(struct machine *m)
{
	uint64_t one = 1;

	if (write(m->event_fd, &one, sizeof(one)) < 0)
		abort();	/* an eventfd write cannot fail short of a bug */
}

void machine_request_stop(struct machine *m, enum stop_reason reason,
			  int status, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&m->lock);
	if (m->reason == STOP_NONE) {
		m->reason = reason;
		m->status = status;
		if (fmt) {
			va_start(ap, fmt);
			fprintf(stderr, "armz: ");
			vfprintf(stderr, fmt, ap);
			fprintf(stderr, "\n");
			va_end(ap);
		}
	}
	pthread_mutex_unlock(&m->lock);
	atomic_store(&m->stopping, true);
	pthread_mutex_lock(&m->lock);
	pthread_cond_broadcast(&m->unpaused);
	pthread_mutex_unlock(&m->lock);
	machine_wake(m);
}

/*
 * The console saw "Kernel panic - not syncing". Stock kernels have no
 * pvpanic driver, so this is how most panics reach us; the guest gets a
 * moment to print its trace before the machine stops.
 */
void machine_panic_seen(struct machine *m)
{
	pthread_mutex_lock(&m->lock);
	if (!m->panic_seen_ns)
		m->panic_seen_ns = stats_now(m->stats) ?: 1;
	pthread_mutex_unlock(&m->lock);
	machine_wake(m);
}

void machine_pause(struct machine *m, bool pause)
{
	pthread_mutex_lock(&m->lock);
	atomic_store(&m->paused, pause);
	if (!pause)
		pthread_cond_broadcast(&m->unpaused);
	pthread_mutex_unlock(&m->lock);
	for (unsigned int i = 0; pause && i < m->ncpus; i++)
		vcpu_kick(&m->vcpus[i]);
}

/*
 * Anonymous memory, 2 MiB aligned so transparent huge pages can back it:
 * fewer TLB misses in the guest, fewer page faults at boot.
 */
static int machine_alloc_ram(struct machine *m)
{
	uint64_t size = m->cfg->mem_size;
	uint8_t *p;

	m->mem_map_size = size + HUGE_2M;
	m->mem_map = mmap(NULL, m->mem_map_size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->mem_map == MAP_FAILED) {
		m->mem_map = NULL;
		return err_set(errno, "cannot reserve %llu MiB for guest RAM: %s",
			       (unsigned long long)(size >> 20),
			       strerror(errno));
	}
	p = (uint8_t *)(((uintptr_t)m->mem_map + HUGE_2M - 1) &
			~(uintptr_t)(HUGE_2M - 1));
	madvise(p, size, MADV_HUGEPAGE);
	m->mem = (struct guest_mem){
		.gpa = MEMMAP_RAM_BASE, .size = size, .host = p,
	};
	return kvm_add_memory(m->kvm, 0, MEMMAP_RAM_BASE, size, p);
}

static int machine_uart_irq(struct irq_line *line, int level)
{
	struct machine *m = line->ctx;

	if (!m->gic_version)
		return 0;
	return kvm_irq_line(m->kvm, line->spi, level);
}

static const struct irq_ops machine_level_irq_ops = {
	.set_level = machine_uart_irq,
};

static void machine_test_exit(void *ctx, int status)
{
	machine_request_stop(ctx, STOP_TEST_EXIT, status, NULL);
}

static void machine_booted(void *ctx)
{
	struct machine *m = ctx;

	stats_mark(m->stats, AT_USERSPACE);
}

static void machine_panic(void *ctx, uint32_t events)
{
	machine_request_stop(ctx, STOP_PANIC, ARMZ_EXIT_GUEST_PANIC,
			     "the guest kernel panicked (pvpanic event 0x%x)",
			     events);
}

static int machine_add_console(struct machine *m, virtio_console_out_fn out,
			       bool input)
{
	struct virtio_device *dev = virtio_console_new(out, m);

	if (!dev)
		return -ENOMEM;
	if (input)
		m->input_console = dev;
	return machine_add_virtio(m, dev);
}

static int machine_add_disk(struct machine *m, const char *arg)
{
	struct blk_config bc;
	struct virtio_device *dev;
	int r = blk_parse(arg, &bc);

	if (!r)
		r = virtio_blk_new(&bc, m->ncpus, &dev);
	return r ? r : machine_add_virtio(m, dev);
}

static int machine_add_net(struct machine *m, unsigned int i)
{
	struct net_config nc;
	struct virtio_device *dev;
	int r = net_parse(m->cfg->nets[i], &nc);

	nc.tap_fd = m->cfg->tap_fds[i];
	if (!r)
		r = virtio_net_new(&nc, &dev);
	if (r || !dev)
		return r;
	return machine_add_virtio(m, dev);
}

static int machine_add_share(struct machine *m, const char *dir,
			     const char *tag, bool ro)
{
	struct virtio_device *dev = virtio_9p_new(dir, tag, ro);

	return dev ? machine_add_virtio(m, dev) : -EINVAL;
}

static int machine_add_shares(struct machine *m)
{
	const struct vm_config *cfg = m->cfg;
	char *dir, *tag;
	bool ro;
	int r = 0;

	if (cfg->command)
		r = machine_add_share(m, cfg->rootfs, COMMAND_ROOT_TAG,
				      !cfg->rw);
	for (unsigned int i = 0; !r && i < cfg->nshares; i++) {
		r = p9_parse_share(cfg->shares[i], &dir, &tag, &ro);
		if (r)
			break;
		r = machine_add_share(m, dir, tag, ro);
		free(dir);
		free(tag);
	}
	return r;
}

/*
 * In the order the guest will find them: consoles first, so that hvc0 is
 * the console (or the command's stdin and stdout, with hvc1 its stderr),
 * then vda for the first --disk.
 */
static int machine_add_virtio_devices(struct machine *m)
{
	const struct vm_config *cfg = m->cfg;
	struct virtio_device *dev;
	int r = 0;

	if (cfg->command)
		r = machine_add_console(m, console_write_stdout, true) ?:
		    machine_add_console(m, console_write_stderr, false);
	else if (cfg->virtio_console)
		r = machine_add_console(m, console_write, true);
	for (unsigned int i = 0; !r && i < cfg->ndisks; i++)
		r = machine_add_disk(m, cfg->disks[i]);
	for (unsigned int i = 0; !r && i < cfg->nnets; i++)
		r = machine_add_net(m, i);
	if (!r)
		r = machine_add_shares(m);
	if (!r && cfg->rng) {
		dev = virtio_rng_new();
		r = dev ? machine_add_virtio(m, dev) : -ENOMEM;
	}
	return r;
}

static int machine_add_devices(struct machine *m)
{
	int r;

	m->uart_irq = (struct irq_line){
		.ops = &machine_level_irq_ops, .ctx = m,
		.spi = MEMMAP_SPI_UART, .fd = -1,
	};
	m->uart = uart_new(&m->uart_irq, console_write, m);
	m->test_exit = test_exit_new(machine_test_exit, m);
	m->pvpanic = pvpanic_new(machine_panic, m);
	if (!m->uart || !m->test_exit || !m->pvpanic)
		return err_set(ENOMEM, "out of memory for devices");
	test_exit_on_booted(m->test_exit, machine_booted);
	uart_set_rx_gate(m->uart, !m->cfg->payload);
	r = mmio_bus_add(&m->bus, MEMMAP_UART_BASE, MEMMAP_UART_SIZE,
			 &uart_mmio_ops, m->uart);
	if (!r)
		r = mmio_bus_add(&m->bus, MEMMAP_TEST_EXIT_BASE,
				 MEMMAP_TEST_EXIT_SIZE, &test_exit_mmio_ops,
				 m->test_exit);
	if (!r)
		r = mmio_bus_add(&m->bus, MEMMAP_PVPANIC_BASE,
				 MEMMAP_PVPANIC_SIZE, &pvpanic_mmio_ops,
				 m->pvpanic);
	return r ? r : machine_add_virtio_devices(m);
}

/*
 * Adds the console options a user expects unless they chose their own;
 * a command's guest boots quietly (its console is a log) and gives up
 * at once if it panics.
 */
static char *machine_bootargs(const struct vm_config *cfg)
{
	const char *user = cfg->params ? cfg->params : "";
	const char *console = cfg->virtio_console ? "hvc0" : "ttyS0";
	const char *extra = "";
	char *args;
	int n;

	if (cfg->command)
		extra = cfg->verbose ? " panic=-1" : " quiet panic=-1";
	if (strstr(user, "console="))
		n = asprintf(&args, "%s%s", user, extra);
	else
		n = asprintf(&args, "console=%s earlycon=uart8250,mmio,0x%llx%s%s%s",
			     console, (unsigned long long)MEMMAP_UART_BASE,
			     extra, *user ? " " : "", user);
	return n < 0 ? NULL : args;
}

/* Only the device nodes: the machine nodes are fdt_build's own. */
static void machine_fdt_nodes(struct machine *m, struct fdt_node_writer *w,
			      unsigned int *n)
{
	w[(*n)++] = (struct fdt_node_writer){ uart_fdt_node, m->uart };
	w[(*n)++] = (struct fdt_node_writer){ test_exit_fdt_node,
					      m->test_exit };
	w[(*n)++] = (struct fdt_node_writer){ pvpanic_fdt_node, m->pvpanic };
	for (unsigned int i = 0; i < m->nvirtio; i++)
		w[(*n)++] = (struct fdt_node_writer){ virtio_mmio_fdt_node,
						      m->virtio[i] };
}

static int machine_build_fdt(struct machine *m, void *buf, size_t size,
			     const struct boot_layout *layout,
			     const char *bootargs)
{
	struct fdt_node_writer nodes[3 + MEMMAP_VIRTIO_SLOTS];
	struct fdt_config fc = {
		.ram_base = m->mem.gpa,
		.ram_size = m->mem.size,
		.ncpus = m->ncpus,
		.gic_version = m->gic_version,
		.psci = m->gic_version && m->kvm->caps.psci_0_2,
		.bootargs = bootargs,
		.stdout_path = UART_FDT_PATH,
		.reset_count = m->stats->resets,
		.nodes = nodes,
	};

	if (layout && layout->initrd_size) {
		fc.initrd_start = layout->initrd_gpa;
		fc.initrd_size = layout->initrd_size;
	}
	if (getrandom(fc.kaslr_seed, sizeof(fc.kaslr_seed), 0) < 0 ||
	    getrandom(fc.rng_seed, sizeof(fc.rng_seed), 0) < 0)
		return err_set(errno, "getrandom: %s", strerror(errno));
	machine_fdt_nodes(m, nodes, &fc.nnodes);
	return fdt_build(&fc, buf, size);
}

static int machine_write_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	const uint8_t *p = buf;

	if (fd < 0)
		return err_set(errno, "cannot write device tree '%s': %s",
			       path, strerror(errno));
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return err_set(errno, "cannot write device tree '%s': %s",
				       path, strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
	return close(fd) ? err_set(errno, "cannot write device tree '%s': %s",
				   path, strerror(errno)) : 0;
}

/* The DTB as built: fdt_build() packed it, so totalsize is all of it. */
static int machine_dump_dtb(struct machine *m, const char *path)
{
	const void *fdt = guest_mem_at(&m->mem, m->dtb_gpa, LOADER_DTB_MAX);

	return machine_write_file(path, fdt, fdt_totalsize(fdt));
}

static int machine_load_linux(struct machine *m)
{
	const struct vm_config *cfg = m->cfg;
	struct file_buf kernel = { 0 }, initrd = { 0 };
	struct arm64_image img;
	struct boot_layout layout;
	char *bootargs = NULL;
	uint64_t initrd_size;
	int r;

	r = file_map("kernel", cfg->kernel, &kernel);
	if (!r)
		r = image_parse(kernel.data, kernel.size, &img);
	if (!r && cfg->initrd)
		r = file_map("initrd", cfg->initrd, &initrd);
	initrd_size = cfg->initrd_data ? cfg->initrd_size : initrd.size;
	if (!r)
		r = layout_plan(m->mem.gpa, m->mem.size, &img, initrd_size,
				&layout);
	if (!r)
		r = file_copy(&kernel, guest_mem_at(&m->mem, layout.kernel_gpa,
						    kernel.size));
	if (!r && initrd.size)
		r = file_copy(&initrd, guest_mem_at(&m->mem, layout.initrd_gpa,
						    initrd.size));
	if (!r && cfg->initrd_data)
		memcpy(guest_mem_at(&m->mem, layout.initrd_gpa, initrd_size),
		       cfg->initrd_data, initrd_size);
	if (!r) {
		bootargs = machine_bootargs(cfg);
		if (!bootargs)
			r = err_set(ENOMEM, "out of memory");
	}
	if (!r)
		r = machine_build_fdt(m, guest_mem_at(&m->mem, layout.dtb_gpa,
						      layout.dtb_max),
				      layout.dtb_max, &layout, bootargs);
	if (!r) {
		m->entry = layout.kernel_gpa;
		m->dtb_gpa = layout.dtb_gpa;
	}
	free(bootargs);
	file_unmap(&kernel);
	file_unmap(&initrd);
	return r;
}

/* A bare-metal payload gets the same DTB, at the top of RAM. */
static int machine_load_payload(struct machine *m)
{
	const struct vm_config *cfg = m->cfg;
	struct file_buf payload = { 0 };
	uint64_t dtb_gpa = guest_mem_end(&m->mem) - LOADER_DTB_MAX;
	/* The payload gets all RAM but the DTB's block at the top. */
	struct guest_mem below_dtb = {
		.gpa = m->mem.gpa, .size = m->mem.size - LOADER_DTB_MAX,
		.host = m->mem.host,
	};
	uint64_t entry = 0;
	int r;

	r = file_map("payload", cfg->payload, &payload);
	if (!r)
		r = payload_load(&below_dtb, payload.data, payload.size,
				 cfg->has_load_addr, cfg->load_addr, &entry);
	file_unmap(&payload);
	if (!r)
		r = machine_build_fdt(m, guest_mem_at(&m->mem, dtb_gpa,
						      LOADER_DTB_MAX),
				      LOADER_DTB_MAX, NULL, cfg->params);
	m->entry = cfg->has_entry ? cfg->entry : entry;
	m->dtb_gpa = dtb_gpa;
	return r;
}

int machine_create(struct machine *m, const struct vm_config *cfg,
		   struct kvm *kvm, struct vm_stats *stats)
{
	int r;

	memset(m, 0, sizeof(*m));
	m->cfg = cfg;
	m->kvm = kvm;
	m->stats = stats;
	m->ncpus = cfg->payload ? 1 : cfg->cpus;
	m->gic_fd = -1;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->unpaused, NULL);
	m->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->event_fd < 0)
		return err_set(errno, "eventfd: %s", strerror(errno));

	r = kvm_check_request(kvm, cfg);
	if (!r)
		r = kvm_create_vm(kvm, MEMMAP_RAM_BASE + cfg->mem_size);
	if (!r)
		r = machine_alloc_ram(m);
	if (!r && !cfg->payload) {
		m->gic_fd = gic_create(kvm, m->ncpus, &m->gic_version);
		r = m->gic_fd < 0 ? m->gic_fd : 0;
	}
	if (!r)
		r = machine_add_devices(m);
	if (!r)
		r = cfg->payload ? machine_load_payload(m)
				 : machine_load_linux(m);
	if (!r && cfg->dtb_dump)
		return machine_dump_dtb(m, cfg->dtb_dump);
	if (r)
		return r;

	m->vcpus = calloc(m->ncpus, sizeof(*m->vcpus));
	if (!m->vcpus)
		return err_set(ENOMEM, "out of memory for vCPUs");
	for (unsigned int i = 0; i < m->ncpus; i++)
		m->vcpus[i].fd = -1;
	for (unsigned int i = 0; !r && i < m->ncpus; i++)
		r = vcpu_create(m, &m->vcpus[i], i);
	if (!r && m->gic_fd >= 0)
		r = gic_finalize(m->gic_fd);
	return r ? r : machine_connect_irqfds(m);
}

static void machine_stop_vcpus(struct machine *m)
{
	atomic_store(&m->stopping, true);
	machine_pause(m, false);
	for (unsigned int i = 0; i < m->ncpus; i++)
		vcpu_kick(&m->vcpus[i]);
	for (unsigned int i = 0; i < m->ncpus; i++)
		vcpu_join(&m->vcpus[i]);
}

static void machine_on_signal(struct machine *m, int signal_fd)
{
	struct signalfd_siginfo si;

	if (read(signal_fd, &si, sizeof(si)) != sizeof(si))
		return;
	machine_request_stop(m, STOP_SIGNAL, 128 + (int)si.ssi_signo,
			     "stopping the guest on %s",
			     strsignal((int)si.ssi_signo));
}

/* Milliseconds until the next deadline (timeout, panic grace), or -1. */
static int machine_next_deadline(struct machine *m)
{
	uint64_t now = stats_now(m->stats), deadline = UINT64_MAX;

	if (m->cfg->timeout_ms)
		deadline = m->cfg->timeout_ms * 1000000;
	pthread_mutex_lock(&m->lock);
	if (m->panic_seen_ns && m->panic_seen_ns + PANIC_GRACE_NS < deadline)
		deadline = m->panic_seen_ns + PANIC_GRACE_NS;
	pthread_mutex_unlock(&m->lock);
	if (deadline == UINT64_MAX)
		return -1;
	if (deadline <= now)
		return 0;
	return (int)((deadline - now + 999999) / 1000000);
}

static void machine_on_deadline(struct machine *m)
{
	const struct vm_config *cfg = m->cfg;

	if (m->panic_seen_ns)
		machine_request_stop(m, STOP_PANIC, ARMZ_EXIT_GUEST_PANIC,
				     "the guest kernel panicked");
	else if (cfg->timeout_ms &&
		 stats_now(m->stats) >= cfg->timeout_ms * 1000000)
		machine_request_stop(m, STOP_TIMEOUT, ARMZ_EXIT_TIMEOUT,
				     "timeout: the guest was stopped after %llu.%03llus",
				     (unsigned long long)(cfg->timeout_ms / 1000),
				     (unsigned long long)(cfg->timeout_ms % 1000));
}

/* Runs until something asks the machine to stop; returns why. */
enum stop_reason machine_run(struct machine *m, int signal_fd,
			     int control_fd)
{
	struct pollfd pfd[3] = {
		{ .fd = m->event_fd, .events = POLLIN },
		{ .fd = signal_fd, .events = POLLIN },
		{ .fd = control_fd, .events = POLLIN },
	};
	uint64_t v;
	int r = 0;

	for (unsigned int i = 0; !r && i < m->ncpus; i++)
		r = vcpu_start(&m->vcpus[i]);
	if (!r)
		r = console_start(m);
	if (r)
		machine_request_stop(m, STOP_ERROR, ARMZ_EXIT_ERROR, "%s",
				     err_msg());
	while (!atomic_load(&m->stopping)) {
		int n = poll(pfd, 3, machine_next_deadline(m));

		if (n < 0 && errno != EINTR)
			break;
		if (n == 0)
			machine_on_deadline(m);
		if (n <= 0)
			continue;
		if (pfd[0].revents & POLLIN &&
		    read(m->event_fd, &v, sizeof(v)) < 0)
			continue;
		if (pfd[1].revents & POLLIN)
			machine_on_signal(m, signal_fd);
		if (pfd[2].revents & POLLIN)
			control_serve(m, control_fd);
	}
	console_stop();
	machine_stop_vcpus(m);
	return m->reason;
}

void machine_destroy(struct machine *m)
{
	/* Device threads touch guest RAM: stop them before it goes. */
	machine_stop_virtio(m);
	for (unsigned int i = 0; m->vcpus && i < m->ncpus; i++)
		vcpu_destroy(&m->vcpus[i]);
	free(m->vcpus);
	machine_free_virtio(m);
	uart_free(m->uart);
	test_exit_free(m->test_exit);
	pvpanic_free(m->pvpanic);
	if (m->gic_fd >= 0)
		close(m->gic_fd);
	kvm_destroy_vm(m->kvm);
	if (m->mem_map)
		munmap(m->mem_map, m->mem_map_size);
	if (m->event_fd >= 0)
		close(m->event_fd);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->unpaused);
	memset(m, 0, sizeof(*m));
}
