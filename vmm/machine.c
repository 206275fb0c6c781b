// SPDX-License-Identifier: GPL-2.0
/*
 * A machine is one boot of the guest: RAM, the interrupt controller, the
 * devices on the MMIO bus, what the loader put in RAM, and the vCPUs. A
 * guest reset throws the whole machine away and builds a new one, so no
 * state can leak from one boot into the next.
 *
 * The devices live on the bus, which owns them: adding one is a line in
 * machine_add_devices() or machine_add_virtio_devices(), in the order the
 * guest finds them.
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
#include <unistd.h>

#include <libfdt.h>

#include <armz/command.h>
#include <armz/dt.h>
#include <armz/err.h>
#include <armz/kernel.h>
#include <armz/loader.h>
#include <armz/memmap.h>
#include <armz/net-backend.h>
#include <armz/p9.h>
#include <armz/pvpanic.h>
#include <armz/test-exit.h>
#include <armz/uart.h>
#include <armz/virtio-blk.h>
#include <armz/virtio-console.h>
#include <armz/virtio-fs.h>
#include <armz/virtio-net.h>
#include <armz/virtio-rng.h>
#include "bootargs.h"
#include "gdb-kvm.h"
#include "machine.h"
#include "virtio-kvm.h"

#define HUGE_2M (2UL << 20)

/*
 * How often main's loop serves writes KVM queued, when no exit did: the
 * last byte a guest prints before it goes idle for a long while.
 */
#define QUEUED_WRITES_TICK_MS	100

/* How long a panicking guest gets to finish printing its trace. */
#define PANIC_GRACE_NS	(3ULL * 1000000000)

static void machine_wake(struct machine *m)
{
	uint64_t one = 1;

	if (write(m->event_fd, &one, sizeof(one)) < 0)
		abort();	/* an eventfd write cannot fail short of a bug */
}

/* How long a stop's message may wait for a full stderr. */
#define SAY_WAIT_MS	1000

/*
 * One line on stderr that never holds a stop up for long: a reader that
 * stopped reading costs the line, not the stop.
 */
static void machine_say(const char *msg)
{
	struct pollfd p = { .fd = STDERR_FILENO, .events = POLLOUT };
	size_t len = strlen(msg);

	while (len && poll(&p, 1, SAY_WAIT_MS) > 0) {
		ssize_t n = write(STDERR_FILENO, msg, len);

		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return;
		msg += n;
		len -= (size_t)n;
	}
}

/*
 * The first request wins and says why; every request wakes the vCPUs
 * and main. The console stops waiting for readers at once (env
 * stopping), so nobody blocks on output from here on.
 */
void machine_request_stop(struct machine *m, enum stop_reason reason,
			  int status, const char *fmt, ...)
{
	char msg[512] = "";
	bool first = false;
	va_list ap;

	pthread_mutex_lock(&m->lock);
	if (m->reason == STOP_NONE) {
		m->reason = reason;
		m->status = status;
		first = true;
		if (fmt) {
			int n = snprintf(msg, sizeof(msg), "armz: ");

			va_start(ap, fmt);
			vsnprintf(msg + n, sizeof(msg) - (size_t)n - 1, fmt,
				  ap);
			va_end(ap);
			strcat(msg, "\n");
		}
	}
	pthread_mutex_unlock(&m->lock);
	if (first && m->env->stopping)
		m->env->stopping();
	vcpus_request_stop(&m->vcpus);
	machine_wake(m);
	machine_say(msg);
}

/* The vCPUs' stop callback. */
static void machine_vcpu_stop(void *ctx, enum stop_reason reason,
			      int status, const char *msg)
{
	struct machine *m = ctx;
	bool panicked;

	/*
	 * A kernel that panics resets at once under panic=-1: that reset
	 * is the panic's, and booting again would only panic again. The
	 * vCPU printed the panic before it asked for the reset.
	 */
	pthread_mutex_lock(&m->lock);
	panicked = m->panic_seen_ns != 0;
	pthread_mutex_unlock(&m->lock);
	if (reason == STOP_RESET && panicked)
		machine_request_stop(m, STOP_PANIC, ARMZ_EXIT_GUEST_PANIC,
				     "the guest kernel panicked, then reset");
	else if (msg)
		machine_request_stop(ctx, reason, status, "%s", msg);
	else
		machine_request_stop(ctx, reason, status, NULL);
}

bool machine_stopping(struct machine *m)
{
	return vcpus_stopping(&m->vcpus);
}

int machine_event_fd(const struct machine *m)
{
	return m->event_fd;
}

void machine_pause(struct machine *m, bool pause)
{
	vcpus_pause(&m->vcpus, pause);
}

/*
 * The console saw "Kernel panic - not syncing". Stock kernels have no
 * pvpanic driver, so this is how most panics reach us; the guest gets a
 * moment to print its trace before the machine stops.
 */
static void machine_panic_seen(struct machine *m)
{
	pthread_mutex_lock(&m->lock);
	if (!m->panic_seen_ns)
		m->panic_seen_ns = stats_now(m->stats) ?: 1;
	pthread_mutex_unlock(&m->lock);
	machine_wake(m);
}

/* --- The console stream --- */

/* This boot reached userspace: its reset is no sign of a boot loop. */
static void machine_userspace(struct machine *m)
{
	pthread_mutex_lock(&m->lock);
	m->userspace = true;
	pthread_mutex_unlock(&m->lock);
}

/* Under out_lock: what the guest log saw in these bytes. */
static void machine_scan(struct machine *m, const uint8_t *buf, size_t len)
{
	unsigned int ev = guest_log_feed(m->log, buf, len);

	if (ev & GUEST_LOG_INIT_STARTED)
		machine_userspace(m);
	if (ev & GUEST_LOG_RESTART) {
		pthread_mutex_lock(&m->lock);
		m->restart_asked = true;
		pthread_mutex_unlock(&m->lock);
	}
	if (ev & GUEST_LOG_PANIC)
		machine_panic_seen(m);
	if (ev & GUEST_LOG_PANIC_END)
		machine_request_stop(m, STOP_PANIC, ARMZ_EXIT_GUEST_PANIC,
				     "the guest kernel panicked");
}

/*
 * Everything the guest's kernel console prints (the UART, or hvc0 as the
 * console) passes here, from vCPU threads or the console's worker: it is
 * counted, goes where main said, and past the panic detector.
 */
static int machine_console_out(void *ctx, const uint8_t *buf, size_t len)
{
	struct machine *m = ctx;
	int r;

	stats_mark(m->stats, AT_FIRST_OUTPUT);
	atomic_fetch_add_explicit(&m->stats->console_out, len,
				  memory_order_relaxed);
	pthread_mutex_lock(&m->out_lock);
	r = m->env->console(m->env->out_ctx, buf, len);
	machine_scan(m, buf, len);
	pthread_mutex_unlock(&m->out_lock);
	return r;
}

static bool machine_has_backends(const struct machine *m)
{
	for (unsigned int i = 0; i < m->cfg->nfs; i++)
		if (m->env->fs[i])
			return true;
	return m->env->root_fs != NULL;
}

/* 2 MiB aligned inside a reservation of size + 2 MiB. */
static uint8_t *machine_align(void *map)
{
	return (uint8_t *)(((uintptr_t)map + HUGE_2M - 1) &
			   ~(uintptr_t)(HUGE_2M - 1));
}

/*
 * A vhost-user backend maps guest RAM itself: then RAM is a memfd we can
 * hand it, mapped shared into main's reservation, at the same address in
 * every boot of the run. It has to be: QEMU's virtiofsd keeps the rings'
 * addresses of the last boot and looks them up again in the next boot's
 * memory table (libvhost-user's SET_MEM_TABLE), and gives up if they are
 * not in it.
 */
static int machine_share_ram(struct machine *m)
{
	uint64_t size = m->cfg->mem_size;
	uint8_t *p = machine_align(m->env->ram_reserve);

	m->mem_fd = memfd_create("armz-guest-ram", MFD_CLOEXEC);
	if (m->mem_fd < 0)
		return err_set(errno, "memfd for guest RAM: %s",
			       strerror(errno));
	if (ftruncate(m->mem_fd, (off_t)size) ||
	    mmap(p, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 m->mem_fd, 0) == MAP_FAILED)
		return err_set(errno, "cannot share %llu MiB of guest RAM: %s",
			       (unsigned long long)(size >> 20),
			       strerror(errno));
	m->shared_ram = p;
	m->mem = (struct guest_mem){
		.gpa = MEMMAP_RAM_BASE, .size = size, .host = p,
	};
	return 0;
}

/* The reservation takes the range back; the memfd's pages go with it. */
static void machine_unshare_ram(struct machine *m)
{
	if (m->shared_ram)
		mmap(m->shared_ram, m->cfg->mem_size, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		     -1, 0);
	m->shared_ram = NULL;
	if (m->mem_fd >= 0)
		close(m->mem_fd);
	m->mem_fd = -1;
}

/*
 * Anonymous memory, 2 MiB aligned so transparent huge pages can back it:
 * fewer TLB misses in the guest, fewer page faults at boot. With a
 * vhost-user backend, a memfd (machine_share_ram()).
 */
static int machine_alloc_ram(struct machine *m)
{
	uint64_t size = m->cfg->mem_size;
	uint8_t *p;
	int r;

	if (machine_has_backends(m) && m->env->ram_reserve) {
		r = machine_share_ram(m);
		if (r)
			return r;
		madvise(m->shared_ram, size, MADV_HUGEPAGE);
		return kvm_add_memory(m->kvm, 0, MEMMAP_RAM_BASE, size,
				      m->shared_ram);
	}
	m->mem_map_size = size + HUGE_2M;
	m->mem_map = mmap(NULL, m->mem_map_size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->mem_map == MAP_FAILED) {
		m->mem_map = NULL;
		return err_set(errno, "cannot reserve %llu MiB for guest RAM: %s",
			       (unsigned long long)(size >> 20),
			       strerror(errno));
	}
	p = machine_align(m->mem_map);
	madvise(p, size, MADV_HUGEPAGE);
	m->mem = (struct guest_mem){
		.gpa = MEMMAP_RAM_BASE, .size = size, .host = p,
	};
	return kvm_add_memory(m->kvm, 0, MEMMAP_RAM_BASE, size, p);
}

/* --- Devices --- */

static int machine_level_irq(struct irq_line *line, int level)
{
	struct machine *m = line->ctx;

	return kvm_irq_line(m->kvm, line->spi, level);
}

static const struct irq_ops machine_level_irq_ops = {
	.set_level = machine_level_irq,
};

static void machine_test_exit(void *ctx, int status)
{
	machine_request_stop(ctx, STOP_TEST_EXIT, status, NULL);
}

static void machine_booted(void *ctx)
{
	struct machine *m = ctx;

	stats_mark(m->stats, AT_USERSPACE);
	machine_userspace(m);
}

static void machine_pvpanic(void *ctx, uint32_t events)
{
	machine_request_stop(ctx, STOP_PANIC, ARMZ_EXIT_GUEST_PANIC,
			     "the guest kernel panicked (pvpanic event 0x%x)",
			     events);
}

/* The host's input, to the UART or to hvc0 (console.h). */
static size_t machine_uart_receive(void *dev, const uint8_t *buf, size_t len)
{
	return uart_receive(dev, buf, len);
}

static bool machine_uart_room(void *dev)
{
	return uart_rx_room(dev);
}

static void machine_uart_notify(void *dev, void (*fn)(void *), void *ctx)
{
	uart_set_rx_notify(dev, fn, ctx);
}

static size_t machine_hvc_receive(void *dev, const uint8_t *buf, size_t len)
{
	return virtio_console_receive(dev, buf, len);
}

static bool machine_hvc_room(void *dev)
{
	return virtio_console_rx_room(dev);
}

static void machine_hvc_notify(void *dev, void (*fn)(void *), void *ctx)
{
	virtio_console_set_rx_notify(dev, fn, ctx);
}

/* Takes ownership of dev, also on failure. */
static int machine_add_virtio(struct machine *m, struct virtio_device *dev)
{
	return virtio_kvm_add(m->kvm, &m->mem, &m->bus, m->nvirtio++, dev);
}

static int machine_add_console(struct machine *m, console_out_fn out,
			       void *ctx, bool input)
{
	struct virtio_device *dev;
	int r = virtio_console_new(out, ctx, &dev);

	if (!r && input)
		m->input = (struct console_input){
			machine_hvc_receive, machine_hvc_room,
			machine_hvc_notify, dev,
		};
	return r ?: machine_add_virtio(m, dev);
}

/* The backend on main's tap (if any), then the device, which owns it. */
static int machine_add_net(struct machine *m, unsigned int i)
{
	const struct net_config *nc = &m->cfg->nets[i];
	struct net_backend *be;
	struct virtio_device *dev;
	int r = net_backend_new(nc, m->env->tap_fds[i], m->env->vhost_fds[i],
				&be);

	if (r || !be)
		return r;
	return virtio_net_new(be, nc->mac, &dev) ?: machine_add_virtio(m, dev);
}

/* A virtio-fs backend died under a running guest: nothing to go on with. */
static void machine_fs_dead(void *ctx, const char *why)
{
	machine_request_stop(ctx, STOP_ERROR, ARMZ_EXIT_ERROR,
			     "%s; stopping the guest", why);
}

static int machine_add_fs(struct machine *m, const char *tag,
			  struct vhost_user *vu)
{
	struct vhost_user_mem mem = {
		.gpa = m->mem.gpa, .size = m->mem.size, .host = m->mem.host,
		.fd = m->mem_fd, .offset = 0,
	};
	struct virtio_device *dev;

	return virtio_fs_new(tag, vu, &mem, machine_fs_dead, m, &dev) ?:
	       machine_add_virtio(m, dev);
}

/*
 * Run-a-command mode's root: the rootfs, read-only unless --rw, over
 * virtio-fs where main could start a virtiofsd for it, else over 9p.
 */
static int machine_add_root_share(struct machine *m)
{
	struct p9_share root = { .ro = !m->cfg->rw };
	struct virtio_device *dev;

	if (m->env->root_fs)
		return machine_add_fs(m, COMMAND_ROOT_TAG, m->env->root_fs);
	snprintf(root.dir, sizeof(root.dir), "%s", m->cfg->rootfs);
	snprintf(root.tag, sizeof(root.tag), "%s", COMMAND_ROOT_TAG);
	return virtio_9p_new(&root, &dev) ?: machine_add_virtio(m, dev);
}

/*
 * In the order the guest will find them: consoles first, so that hvc0 is
 * the console (or the command's stdin and stdout, with hvc1 its stderr),
 * then vda for the first --disk.
 */
static int machine_add_virtio_devices(struct machine *m)
{
	const struct vm_config *cfg = m->cfg;
	const struct machine_env *env = m->env;
	struct virtio_device *dev;
	int r = 0;

	if (cfg->command)
		r = machine_add_console(m, env->cmd_stdout, env->out_ctx,
					true) ?:
		    machine_add_console(m, env->cmd_stderr, env->out_ctx,
					false);
	else if (cfg->console == VM_CONSOLE_VIRTIO)
		r = machine_add_console(m, machine_console_out, m, true);
	for (unsigned int i = 0; !r && i < cfg->ndisks; i++)
		r = virtio_blk_new(&cfg->disks[i], m->ncpus, &dev) ?:
		    machine_add_virtio(m, dev);
	for (unsigned int i = 0; !r && i < cfg->nnets; i++)
		r = machine_add_net(m, i);
	if (!r && cfg->command)
		r = machine_add_root_share(m);
	for (unsigned int i = 0; !r && i < cfg->nshares; i++)
		r = virtio_9p_new(&cfg->shares[i], &dev) ?:
		    machine_add_virtio(m, dev);
	for (unsigned int i = 0; !r && i < cfg->nfs; i++)
		r = machine_add_fs(m, cfg->fs[i].tag, env->fs[i]);
	if (!r && cfg->rng)
		r = virtio_rng_new(&dev) ?: machine_add_virtio(m, dev);
	return r;
}

/*
 * The UART (the console unless hvc0 is), also at kvmtool's address for
 * binaries built for it (memmap.h), test-exit and pvpanic.
 */
static int machine_add_devices(struct machine *m)
{
	struct irq_line uart_irq = {
		.ops = &machine_level_irq_ops, .ctx = m,
		.spi = MEMMAP_SPI_UART, .fd = -1,
	};
	struct test_exit *te;
	struct pvpanic *pp;
	struct uart *u;
	int r;

	r = uart_new(m->gic_version ? &uart_irq : NULL, machine_console_out,
		     m, &u);
	if (r)
		return r;
	/* Only a Linux driver turns receive interrupts on. */
	uart_set_rx_gate(u, !m->cfg->payload &&
			 m->cfg->kernel_format != KERNEL_FORMAT_RAW);
	m->input = (struct console_input){
		machine_uart_receive, machine_uart_room, machine_uart_notify, u,
	};
	r = mmio_bus_add(&m->bus, MEMMAP_UART_BASE, MEMMAP_UART_SIZE,
			 &uart_mmio_ops, u) ?:
	    mmio_bus_add(&m->bus, MEMMAP_UART_ALIAS_BASE, MEMMAP_UART_SIZE,
			 &uart_alias_mmio_ops, u) ?:
	    test_exit_new(machine_test_exit, m, &te);
	if (r)
		return r;
	test_exit_on_booted(te, machine_booted);
	r = mmio_bus_add(&m->bus, MEMMAP_TEST_EXIT_BASE, MEMMAP_TEST_EXIT_SIZE,
			 &test_exit_mmio_ops, te) ?:
	    pvpanic_new(machine_pvpanic, m, &pp) ?:
	    mmio_bus_add(&m->bus, MEMMAP_PVPANIC_BASE, MEMMAP_PVPANIC_SIZE,
			 &pvpanic_mmio_ops, pp);
	return r ?: machine_add_virtio_devices(m);
}

/*
 * A byte written to the UART's transmit register queues in KVM's coalesced
 * MMIO ring instead of exiting (coalesced-mmio.h): only THR's address,
 * one byte wide, so every other register, and reads, exit as before.
 * Where KVM lacks the capability, or the ring's page is not where it
 * should be, the writes simply exit.
 */
static void machine_queue_uart_writes(struct machine *m)
{
	unsigned long page = m->kvm->caps.coalesced_mmio_page;
	long psz = sysconf(_SC_PAGESIZE);
	void *ring = NULL;

	if (page && psz > 0 &&
	    (page + 1) * (unsigned long)psz <= (unsigned long)m->kvm->run_size &&
	    !kvm_coalesced_mmio_zone(m->kvm, MEMMAP_UART_BASE + UART_THR, 1))
		ring = (uint8_t *)m->vcpus.cpu[0].run + page * (unsigned long)psz;
	coalesced_mmio_init(&m->queued, ring, psz > 0 ? (size_t)psz : 0,
			    &m->bus, &m->stats->queued_writes);
	m->vcpus.queued = &m->queued;
}

/* --- What the loader puts in RAM --- */

static int machine_build_dt(struct machine *m, void *buf, size_t size,
			    const struct boot_layout *layout,
			    const char *bootargs)
{
	struct dt_config dc = {
		.ram_base = m->mem.gpa,
		.ram_size = m->mem.size,
		.ncpus = m->ncpus,
		.gic_version = m->gic_version,
		.psci = m->gic_version && m->kvm->caps.psci_0_2,
		.its = m->its_fd >= 0,
		.pmu = m->kvm->vm_pmu,
		.bootargs = bootargs,
		.stdout_path = UART_DT_PATH,
		.reset_count = m->stats->resets,
		.bus = &m->bus,
	};

	if (layout && layout->initrd_size) {
		dc.initrd_start = layout->initrd_gpa;
		dc.initrd_size = layout->initrd_size;
	}
	if (getrandom(dc.kaslr_seed, sizeof(dc.kaslr_seed), 0) < 0 ||
	    getrandom(dc.rng_seed, sizeof(dc.rng_seed), 0) < 0)
		return err_set(errno, "getrandom: %s", strerror(errno));
	return dt_build(&dc, buf, size);
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

/* The DTB as built: dt_build() packed it, so totalsize is all of it. */
static int machine_dump_dtb(struct machine *m, const char *path)
{
	const void *fdt = guest_mem_at(&m->mem, m->dtb_gpa, LOADER_DTB_MAX);

	return machine_write_file(path, fdt, fdt_totalsize(fdt));
}

/*
 * The kernel in whatever form it comes (include/armz/kernel.h), straight
 * into RAM; the initrd below the DTB at the top. A raw binary goes the
 * same way, at RAM + 0x80000 and entered at its first byte.
 */
static int machine_load_linux(struct machine *m)
{
	const struct vm_config *cfg = m->cfg;
	const struct machine_env *env = m->env;
	struct file_buf initrd = { 0 };
	struct boot_layout layout;
	struct kernel *k = NULL;
	char *bootargs = NULL;
	uint64_t initrd_size;
	int r;

	r = kernel_open(cfg->kernel, cfg->kernel_format, &k);
	if (!r && cfg->initrd)
		r = file_map("initrd", cfg->initrd, &initrd);
	initrd_size = env->initrd_data ? env->initrd_size : initrd.size;
	if (!r)
		r = layout_plan(m->mem.gpa, m->mem.size, &kernel_info(k)->img,
				initrd_size, &layout);
	if (!r)
		r = kernel_load(k, &m->mem, &layout, &m->entry);
	if (!r && initrd.size)
		r = file_copy(&initrd, guest_mem_at(&m->mem, layout.initrd_gpa,
						    initrd.size));
	if (!r && env->initrd_data)
		memcpy(guest_mem_at(&m->mem, layout.initrd_gpa, initrd_size),
		       env->initrd_data, initrd_size);
	if (!r) {
		bootargs = bootargs_make(cfg);
		if (!bootargs)
			r = err_set(ENOMEM, "out of memory");
	}
	if (!r)
		r = machine_build_dt(m, guest_mem_at(&m->mem, layout.dtb_gpa,
						     layout.dtb_max),
				     layout.dtb_max, &layout, bootargs);
	if (!r)
		m->dtb_gpa = layout.dtb_gpa;
	free(bootargs);
	kernel_close(k);
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
		r = machine_build_dt(m, guest_mem_at(&m->mem, dtb_gpa,
						     LOADER_DTB_MAX),
				     LOADER_DTB_MAX, NULL, cfg->params);
	m->entry = cfg->has_entry ? cfg->entry : entry;
	m->dtb_gpa = dtb_gpa;
	return r;
}

/* --- Life cycle --- */

/*
 * In the order KVM wants: the vCPUs exist before the GIC is initialised,
 * and the GIC before the devices' irqfds are wired to it.
 */
int machine_create(struct machine *m, const struct vm_config *cfg,
		   struct kvm *kvm, const struct machine_env *env)
{
	int r;

	memset(m, 0, sizeof(*m));
	m->cfg = cfg;
	m->env = env;
	m->kvm = kvm;
	m->stats = env->stats;
	m->ncpus = cfg->payload ? 1 : cfg->cpus;
	m->gic_fd = -1;
	m->its_fd = -1;
	m->event_fd = -1;
	m->mem_fd = -1;
	pthread_mutex_init(&m->lock, NULL);
	pthread_mutex_init(&m->out_lock, NULL);
	m->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->event_fd < 0)
		return err_set(errno, "eventfd: %s", strerror(errno));
	r = guest_log_new(env->notice, env->out_ctx, &m->log);
	if (r)
		return r;

	r = kvm_check_request(kvm, cfg) ?:
	    kvm_create_vm(kvm, MEMMAP_RAM_BASE + cfg->mem_size);
	m->mte = !r && cfg->mte && kvm->caps.mte;
	if (m->mte)
		r = kvm_enable_mte(kvm);
	r = r ?: machine_alloc_ram(m);
	/* A bare binary runs without a GIC where the host has none. */
	if (!r && !cfg->payload && kvm->caps.gic_version) {
		m->gic_fd = gic_create(kvm, m->ncpus, cfg->irqchip,
				       &m->gic_version, &m->its_fd);
		r = m->gic_fd < 0 ? m->gic_fd : 0;
	}
	kvm->vm_pmu = !r && cfg->pmu && m->gic_fd >= 0;
	r = r ?: vcpus_create(&m->vcpus, kvm, m->ncpus, &m->bus, m->stats,
			      machine_vcpu_stop, m);
	if (!r && m->gic_fd >= 0)
		r = gic_finalize(m->gic_fd);
	if (!r && kvm->vm_pmu)
		r = vcpus_init_pmu(&m->vcpus, AZ_GIC_PPI_BASE + MEMMAP_PPI_PMU);
	r = r ?: machine_add_devices(m);
	if (!r)
		machine_queue_uart_writes(m);
	r = r ?: (cfg->payload ? machine_load_payload(m) :
				 machine_load_linux(m));
	if (!r && cfg->dtb_dump)
		return machine_dump_dtb(m, cfg->dtb_dump);
	return r ?: vcpus_set_boot(&m->vcpus, m->entry, m->dtb_gpa);
}

int machine_start(struct machine *m)
{
	int r = 0;

	if (m->env->gdb)
		r = gdb_kvm_attach(m->env->gdb, &m->vcpus, &m->mem);
	return r ?: vcpus_start(&m->vcpus);
}

/* gdb lets go of the vCPUs and RAM before they go: gdb_kvm_detach(). */
enum stop_reason machine_stop(struct machine *m)
{
	int status;

	vcpus_stop(&m->vcpus);
	/* What the vCPUs wrote last and no exit served. */
	coalesced_mmio_drain(&m->queued);
	pthread_mutex_lock(&m->lock);
	status = m->status;
	pthread_mutex_unlock(&m->lock);
	if (m->env->gdb)
		gdb_kvm_detach(m->env->gdb, status);
	pthread_mutex_lock(&m->out_lock);
	if (m->log)
		guest_log_flush(m->log);
	pthread_mutex_unlock(&m->out_lock);
	return m->reason;
}

unsigned int machine_last_lines(struct machine *m, unsigned int n,
				const char *header)
{
	unsigned int shown;

	if (!m->log)
		return 0;
	pthread_mutex_lock(&m->out_lock);
	shown = guest_log_tail(m->log, n, header);
	pthread_mutex_unlock(&m->out_lock);
	return shown;
}

void machine_progress(struct machine *m, bool *userspace,
		      bool *restart_asked)
{
	pthread_mutex_lock(&m->lock);
	*userspace = m->userspace;
	*restart_asked = m->restart_asked;
	pthread_mutex_unlock(&m->lock);
}

int machine_next_deadline(struct machine *m)
{
	uint64_t now = stats_now(m->stats), deadline = UINT64_MAX;

	if (m->cfg->timeout_ms)
		deadline = m->cfg->timeout_ms * 1000000;
	pthread_mutex_lock(&m->lock);
	if (m->panic_seen_ns && m->panic_seen_ns + PANIC_GRACE_NS < deadline)
		deadline = m->panic_seen_ns + PANIC_GRACE_NS;
	pthread_mutex_unlock(&m->lock);
	if (m->queued.ring &&
	    now + QUEUED_WRITES_TICK_MS * 1000000ULL < deadline)
		deadline = now + QUEUED_WRITES_TICK_MS * 1000000ULL;
	if (deadline == UINT64_MAX)
		return -1;
	if (deadline <= now)
		return 0;
	return (int)((deadline - now + 999999) / 1000000);
}

void machine_on_deadline(struct machine *m)
{
	const struct vm_config *cfg = m->cfg;
	uint64_t panic_ns;

	coalesced_mmio_drain(&m->queued);
	pthread_mutex_lock(&m->lock);
	panic_ns = m->panic_seen_ns;
	pthread_mutex_unlock(&m->lock);
	if (panic_ns && stats_now(m->stats) >= panic_ns + PANIC_GRACE_NS)
		machine_request_stop(m, STOP_PANIC, ARMZ_EXIT_GUEST_PANIC,
				     "the guest kernel panicked");
	else if (cfg->timeout_ms &&
		 stats_now(m->stats) >= cfg->timeout_ms * 1000000)
		machine_request_stop(m, STOP_TIMEOUT, ARMZ_EXIT_TIMEOUT,
				     "timeout: the guest was stopped after %llu.%03llus",
				     (unsigned long long)(cfg->timeout_ms / 1000),
				     (unsigned long long)(cfg->timeout_ms % 1000));
}

void machine_destroy(struct machine *m)
{
	/* Device threads touch guest RAM: stop them before it goes. */
	mmio_bus_stop(&m->bus);
	vcpus_destroy(&m->vcpus);
	coalesced_mmio_destroy(&m->queued);
	mmio_bus_free(&m->bus);
	if (m->its_fd >= 0)
		close(m->its_fd);
	if (m->gic_fd >= 0)
		close(m->gic_fd);
	if (m->kvm)
		kvm_destroy_vm(m->kvm);
	if (m->mem_map)
		munmap(m->mem_map, m->mem_map_size);
	machine_unshare_ram(m);
	if (m->event_fd >= 0)
		close(m->event_fd);
	guest_log_free(m->log);
	if (m->cfg) {
		pthread_mutex_destroy(&m->lock);
		pthread_mutex_destroy(&m->out_lock);
	}
	memset(m, 0, sizeof(*m));
	m->event_fd = m->gic_fd = m->its_fd = m->mem_fd = -1;
}
