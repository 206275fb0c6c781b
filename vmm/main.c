// SPDX-License-Identifier: GPL-2.0
/*
 * armz's entry point, and the only place that decides an exit status. It
 * owns the run: the config, the taps, the console, the control socket and
 * the event loop, and it builds a machine for every boot.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <armz/command.h>
#include <armz/err.h>
#include <armz/util.h>
#include <armz/modules.h>
#include <armz/net-backend.h>
#include "cli.h"
#include "command.h"
#include "console.h"
#include "control.h"
#include "fs-backend.h"
#include "gdb-kvm.h"
#include "lkvm.h"
#include "machine.h"
#include "privileges.h"
#include "report.h"
#include "sandbox.h"
#include "vcpu.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: armz run --kernel IMAGE [options]   boot a Linux guest\n"
"       armz run --help                     options of 'run'\n"
"       armz list                           running VMs\n"
"       armz status|stop|pause|resume NAME  control a running VM\n"
"       armz --version\n"
"\n"
"armz is a small virtual machine monitor for AArch64 guests on arm64 KVM.\n"
"\n");
	cli_exit_statuses(f);
}

static int fail(int status, const char *what)
{
	fprintf(stderr, "armz: %s\n", what);
	return status;
}

/*
 * Signals that end the VM are taken synchronously through a signalfd so
 * the machine stops in order; every thread inherits the blocked mask.
 */
static int signals_setup(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGUSR1);	/* only vCPU threads take the kick */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigdelset(&set, SIGUSR1);
	fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (fd < 0)
		return err_set(errno, "signalfd: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	vcpu_install_kick_handler();
	return fd;
}

/*
 * A boot loop: BOOT_LOOP_RESETS resets in a row within BOOT_LOOP_SECONDS,
 * each by a boot that never reached userspace and did not restart in
 * order. Such a guest only goes round again; armz stops it with
 * ARMZ_EXIT_GUEST_RESET.
 */
#define BOOT_LOOP_RESETS	3
#define BOOT_LOOP_SECONDS	60

struct boot_loop {
	uint64_t at[BOOT_LOOP_RESETS];	/* ns, the last resets' times */
	unsigned int n;
};

/* Counts the reset m ended with; true when it closes a boot loop. */
static bool boot_loop_seen(struct boot_loop *l, struct machine *m,
			   uint64_t now)
{
	bool userspace, restart_asked;

	machine_progress(m, &userspace, &restart_asked);
	if (userspace || restart_asked) {
		l->n = 0;
		return false;
	}
	if (l->n == BOOT_LOOP_RESETS) {
		memmove(l->at, l->at + 1, sizeof(l->at) - sizeof(l->at[0]));
		l->n--;
	}
	l->at[l->n++] = now;
	return l->n == BOOT_LOOP_RESETS &&
	       now - l->at[0] <= BOOT_LOOP_SECONDS * 1000000000ULL;
}

/* One `armz run`: what lives across its boots. */
struct run {
	const struct vm_config *cfg;
	const struct machine_env *env;
	struct machine *machine;
	const char *name;
	char default_name[32];
	int signal_fd;
	int control_fd;
	char *sock;			/* the control socket's path */
	bool boot_loop;			/* boot() stopped one */
};

/* Whether the guest ended the run (not the user, nor armz). */
static bool stopped_by_guest(enum stop_reason reason)
{
	return reason != STOP_NONE && reason != STOP_ERROR &&
	       reason != STOP_SIGNAL && reason != STOP_USER;
}

/* Lines of the kernel's console shown when armz-init never ran. */
#define LAST_LINES	20

/* What the run's end means for the exit status, and says on stderr. */
static int status_of(const struct run *run, struct machine *m)
{
	const struct vm_config *cfg = run->cfg;
	bool userspace, restart_asked;
	int status = m->status;

	machine_progress(m, &userspace, &restart_asked);
	if (m->reason == STOP_RESET && run->boot_loop)
		fprintf(stderr, "armz: the guest reset %d times within %d s and never reached userspace: a boot loop, stopped\n",
			BOOT_LOOP_RESETS, BOOT_LOOP_SECONDS);
	else if (m->reason == STOP_RESET && cfg->command)
		fprintf(stderr, "armz: the guest reset before the command finished; armz never boots a command's guest twice\n");
	else if (m->reason == STOP_RESET)
		fprintf(stderr, "armz: the guest reset and --no-reboot was given\n");
	/*
	 * armz-init's status never came: 0 would say the command passed.
	 * The report says what armz exits with; the machine is stopped.
	 */
	if (m->reason == STOP_POWEROFF && cfg->command) {
		fprintf(stderr, "armz: the guest powered off without the command's exit status\n");
		status = m->status = ARMZ_EXIT_ERROR;
	}
	if (cfg->command && !userspace && stopped_by_guest(m->reason)) {
		fprintf(stderr, "armz: armz-init, the guest's init, never started: the kernel got no further%s\n",
			run->env->notice ? "" : " (see its console)");
		/* A panic's trace came with everything before it already. */
		if (run->env->notice &&
		    !machine_last_lines(m, LAST_LINES,
					"armz: the kernel's last lines:") &&
		    m->reason != STOP_PANIC)
			fprintf(stderr, "armz: the kernel printed nothing to show (a command's guest boots with quiet); --verbose shows its whole console\n");
	}
	return status;
}

/* --- What the console and the control socket may do to the machine --- */

/* A stop was asked for: output waits for no reader from now on. */
static void console_stop_output(void)
{
	console_cut(true);
}

static void on_escape(void *ctx)
{
	machine_request_stop(ctx, STOP_USER, 128 + SIGINT,
			     "console escape: stopping the guest");
}

static void control_stop(void *ctx)
{
	struct run *run = ctx;

	machine_request_stop(run->machine, STOP_USER, 128 + SIGTERM,
			     "stopped by 'armz stop'");
}

static void control_pause(void *ctx, bool pause)
{
	struct run *run = ctx;

	machine_pause(run->machine, pause);
}

static void control_status(void *ctx, FILE *f)
{
	struct run *run = ctx;

	report_write(f, run->machine, run->name);
}

static const struct control_ops run_control_ops = {
	.stop = control_stop,
	.pause = control_pause,
	.status = control_status,
};

static void on_signal(struct machine *m, int signal_fd)
{
	struct signalfd_siginfo si;

	if (read(signal_fd, &si, sizeof(si)) != sizeof(si))
		return;
	machine_request_stop(m, STOP_SIGNAL, 128 + (int)si.ssi_signo,
			     "stopping the guest on %s",
			     strsignal((int)si.ssi_signo));
}

/*
 * The event loop of one boot: the machine's stop requests, signals, the
 * control socket and the machine's deadlines. Returns when the machine
 * stopped, its vCPUs joined.
 */
static void run_machine(struct run *run, int signal_fd, int control_fd)
{
	struct machine *m = run->machine;
	struct pollfd pfd[3] = {
		{ .fd = machine_event_fd(m), .events = POLLIN },
		{ .fd = signal_fd, .events = POLLIN },
		{ .fd = control_fd, .events = POLLIN },
	};
	uint64_t v;
	int r;

	console_cut(false);
	r = machine_start(m) ?:
	    console_start(&m->input, &m->stats->console_in,
			  on_escape, m);
	if (r)
		machine_request_stop(m, STOP_ERROR, ARMZ_EXIT_ERROR, "%s",
				     err_msg());
	while (!machine_stopping(m)) {
		int n = poll(pfd, 3, machine_next_deadline(m));

		if (n < 0 && errno != EINTR)
			break;
		if (n == 0)
			machine_on_deadline(m);
		if (n <= 0)
			continue;
		if (pfd[0].revents & POLLIN &&
		    read(pfd[0].fd, &v, sizeof(v)) < 0)
			continue;
		if (pfd[1].revents & POLLIN)
			on_signal(m, signal_fd);
		if (pfd[2].revents & POLLIN)
			control_serve(control_fd, &run_control_ops, run);
	}
	console_cut(true);
	console_stop();
	machine_stop(m);
}

/*
 * Runs boots until the guest stops for good; m is the last machine. A
 * reset boots the guest again, but not under --no-reboot, not in
 * run-a-command mode (running a command twice is no retry: its first run
 * may have done half of its work), and not in a boot loop.
 */
static void boot(struct run *run, const struct vm_config *cfg,
		 struct kvm *kvm, const struct machine_env *env,
		 int signal_fd, int control_fd)
{
	struct machine *m = run->machine;
	struct boot_loop loop = { .n = 0 };

	for (;;) {
		if (machine_create(m, cfg, kvm, env)) {
			fail(ARMZ_EXIT_ERROR, err_msg());
			m->reason = STOP_ERROR;
			m->status = ARMZ_EXIT_ERROR;
			return;
		}
		if (cfg->dtb_dump) {
			m->reason = STOP_POWEROFF;
			return;
		}
		run_machine(run, signal_fd, control_fd);
		if (m->reason != STOP_RESET || cfg->no_reboot || cfg->command)
			return;
		if (boot_loop_seen(&loop, m, stats_now(env->stats))) {
			run->boot_loop = true;
			return;
		}
		machine_destroy(m);
		env->stats->resets++;
	}
}

static enum console_out console_out_of(const struct vm_config *cfg)
{
	if (!cfg->command)
		return CONSOLE_TO_STDOUT;
	return cfg->verbose ? CONSOLE_TO_STDERR : CONSOLE_TO_LOG;
}

/*
 * Signals and the control socket, before privileges go: the socket is
 * made where the one who started armz looks for it.
 */
static int run_open(struct run *run, const struct vm_config *cfg)
{
	run->name = cfg->name;
	if (!run->name) {
		snprintf(run->default_name, sizeof(run->default_name),
			 "armz-%d", (int)getpid());
		run->name = run->default_name;
	}
	run->signal_fd = signals_setup();
	if (run->signal_fd < 0)
		return run->signal_fd;
	if (cfg->dtb_dump)
		return 0;
	run->control_fd = control_listen(run->name, &run->sock);
	/* A name in use is a mistake; no socket directory is not. */
	if (run->control_fd == -EEXIST)
		return run->control_fd;
	if (run->control_fd < 0)
		fprintf(stderr, "armz: no control socket (%s): 'armz list' will not show this VM\n",
			err_msg());
	return 0;
}

/*
 * A socket in a directory the user armz became may not write to stays
 * behind; 'armz list' removes it, as it does a killed VM's.
 */
static void run_close(struct run *run)
{
	if (run->sock)
		unlink(run->sock);
	free(run->sock);
	if (run->control_fd >= 0)
		close(run->control_fd);
	if (run->signal_fd >= 0)
		close(run->signal_fd);
}

/*
 * Every boot runs confined: main's own filter is in before the first
 * machine is built, the spawner makes every other thread in its role.
 */
static int run_confine(const struct vm_config *cfg, const char *selftest)
{
	return sandbox_init(cfg->seccomp, selftest) ?: sandbox_enter_main();
}

static int run_vm(struct run *run, struct kvm *kvm, const char *selftest)
{
	const struct vm_config *cfg = run->cfg;
	const struct machine_env *env = run->env;
	struct machine m;
	int status;

	run->machine = &m;
	if (console_open(cfg->console_log, console_out_of(cfg)) ||
	    term_raw_enter() || run_confine(cfg, selftest)) {
		status = fail(ARMZ_EXIT_ERROR, err_msg());
	} else {
		boot(run, cfg, kvm, env, run->signal_fd, run->control_fd);
		stats_mark(env->stats, AT_EXIT);
		term_raw_leave();
		status = status_of(run, &m);
		if (cfg->report && report_save(cfg->report, &m, run->name))
			status = fail(ARMZ_EXIT_ERROR, err_msg());
		machine_destroy(&m);
	}
	term_raw_leave();
	console_close();
	return status;
}

/*
 * Taps and /dev/vhost-net are opened once, while armz may still do so;
 * every boot's backend (net_backend_new(), given env->tap_fds[i] and
 * env->vhost_fds[i]) works on a dup, so a guest reset needs no privilege.
 */
static int open_taps(const struct vm_config *cfg, struct machine_env *env)
{
	int r = 0;

	for (unsigned int i = 0; !r && i < cfg->nnets; i++) {
		const struct net_config *nc = &cfg->nets[i];

		if (nc->type != NET_TAP)
			continue;
		r = net_tap_create(nc->ifname, &env->tap_fds[i]);
		if (!r && nc->vhost)
			r = net_vhost_open(&env->vhost_fds[i]);
	}
	return r;
}

static void close_taps(struct machine_env *env)
{
	for (unsigned int i = 0; i < VM_MAX_NETS; i++) {
		if (env->tap_fds[i] >= 0)
			close(env->tap_fds[i]);
		if (env->vhost_fds[i] >= 0)
			close(env->vhost_fds[i]);
	}
}

/*
 * --gdb listens before the first boot, so gdb can be there for it; what
 * this KVM cannot do for gdb is said once.
 */
static int gdb_open(const struct vm_config *cfg, const struct kvm *kvm,
		    struct machine_env *env)
{
	char limits[512];

	if (!cfg->gdb || cfg->dtb_dump)
		return 0;
	if (kvm_gdb_limits(kvm, limits, sizeof(limits)) > 0)
		fprintf(stderr, "armz: --gdb: %s\n", limits);
	return gdb_kvm_new(cfg->gdb, cfg->gdb_wait, kvm, &env->gdb);
}

/* The --fs backends; every one must come up. */
static int open_fs(const struct vm_config *cfg, struct fs_backend *b,
		   struct machine_env *env)
{
	int r = 0;

	for (unsigned int i = 0; !r && i < cfg->nfs; i++) {
		r = fs_backend_open(&cfg->fs[i], cfg->verbose, &b[i]);
		env->fs[i] = b[i].vu;
	}
	return r;
}

/*
 * Run-a-command mode's root goes over virtio-fs where a virtiofsd can
 * serve it and the kernel can mount it, and over 9p otherwise: the
 * reason goes to the report, and with --verbose to stderr.
 */
static void open_root_fs(const struct vm_config *cfg,
			 const struct modules_plan *plan,
			 const struct privileges *who, struct fs_backend *b,
			 struct machine_env *env)
{
	struct fs_share root = { .ro = !cfg->rw };
	char path[PATH_MAX];
	enum fsd_kind kind;
	const char *why = NULL;

	snprintf(root.dir, sizeof(root.dir), "%s", cfg->rootfs);
	snprintf(root.tag, sizeof(root.tag), "%s", COMMAND_ROOT_TAG);
	if (who->changed)
		why = "armz runs the guest as another user, and virtiofsd would serve the root with root's rights";
	else if (virtiofsd_find(path, sizeof(path), &kind))
		why = err_msg();
	else if (!plan->virtiofs)
		why = "the kernel has no virtiofs, built in or as a module";
	else if (fs_backend_open(&root, cfg->verbose, b))
		why = err_msg();
	else
		env->root_fs = b->vu;
	if (!why)
		return;
	snprintf(env->root_fs_note, sizeof(env->root_fs_note), "%s", why);
	if (cfg->verbose)
		fprintf(stderr, "armz: the root goes over 9p: %s\n", why);
}

/*
 * Guest RAM shared with a backend sits at one address for the whole run
 * (machine.c says why): the address space is set aside here, once.
 */
static int reserve_shared_ram(const struct vm_config *cfg,
			      struct machine_env *env)
{
	bool any = env->root_fs != NULL;
	void *p;

	for (unsigned int i = 0; i < cfg->nfs; i++)
		any = any || env->fs[i];
	if (!any)
		return 0;
	p = mmap(NULL, cfg->mem_size + (2UL << 20), PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return err_set(errno, "cannot reserve %llu MiB for guest RAM: %s",
			       (unsigned long long)(cfg->mem_size >> 20),
			       strerror(errno));
	env->ram_reserve = p;
	return 0;
}

static void close_fs(struct fs_backend *b, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		fs_backend_close(&b[i]);
}

/* 9p shares and disks hold descriptors: take all the kernel allows. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * Run-a-command mode found no config of the kernel's: nothing could be
 * checked before boot, so say so, once, with what was found instead.
 */
static void say_unchecked(const struct modules_plan *p)
{
	const char *rel = *p->release ? p->release : "(unknown release)";

	if (p->config_from)
		return;
	fprintf(stderr, "armz: found no config of kernel %s (built in with CONFIG_IKCONFIG, config-RELEASE beside it or its modules, the root's /boot), so what running a command needs was not checked before boot; ",
		rel);
	if (p->modules_from)
		fprintf(stderr, "packed %u modules from %s\n", p->nmods,
			p->modules_from);
	else
		fprintf(stderr, "found no modules (looked in %s)\n",
			p->looked ? p->looked : "nowhere");
}

/*
 * What run-a-command mode needs of armz's installation and of the kernel,
 * found (or said missing) before anything else is opened.
 */
static int plan_command(const struct vm_config *cfg,
			struct modules_plan **plan)
{
	int r = command_plan(cfg, plan);

	if (!r)
		say_unchecked(*plan);
	return r;
}

/*
 * The virtio-fs backends, started before armz drops its privileges (QEMU's
 * virtiofsd runs as root only, and sets up its sandbox with root's
 * capabilities): each --fs share's, and run-a-command mode's root where
 * it can go over virtio-fs and armz stays who it is. fs[VM_MAX_SHARES] is
 * the root's.
 */
static int open_backends(const struct vm_config *cfg,
			 const struct modules_plan *plan, struct fs_backend *fs,
			 struct machine_env *env)
{
	struct privileges who;
	int r = privileges_target(cfg->user, &who);

	if (r)
		return r;
	if (cfg->command)
		open_root_fs(cfg, plan, &who, &fs[VM_MAX_SHARES], env);
	return open_fs(cfg, fs, env) ?: reserve_shared_ram(cfg, env);
}

/*
 * Runs the VM cfg describes, whichever command line filled it; prepare,
 * if any, finishes cfg once KVM has been probed.
 */
static int run_config(struct vm_config *cfg, struct vm_stats *stats,
		      int (*prepare)(struct vm_config *cfg,
				     const struct kvm *kvm),
		      const char *selftest)
{
	struct machine_env env = {
		.stats = stats,
		.console = console_write,
		.cmd_stdout = console_write_stdout,
		.cmd_stderr = console_write_stderr,
		.stopping = console_stop_output,
	};
	struct run run = {
		.cfg = cfg, .env = &env, .signal_fd = -1, .control_fd = -1,
	};
	/* [VM_MAX_SHARES]: the run-a-command root's. */
	static struct fs_backend fs[VM_MAX_SHARES + 1];
	struct modules_plan *plan = NULL;
	struct cpio initramfs = { 0 };
	struct kvm kvm;
	int status;

	for (unsigned int i = 0; i < VM_MAX_NETS; i++)
		env.tap_fds[i] = env.vhost_fds[i] = -1;
	raise_fd_limit();
	/*
	 * What armz needs of its own installation (armz-init, the kernel's
	 * modules) is found, or said missing, before it looks for KVM;
	 * install-check relies on that.
	 */
	if (cfg->command && plan_command(cfg, &plan))
		return fail(ARMZ_EXIT_ERROR, err_msg());
	if (kvm_open(&kvm, cfg->kvm_dev ?: kvm_default_device()) ||
	    kvm_probe(&kvm) || (prepare && prepare(cfg, &kvm))) {
		status = fail(ARMZ_EXIT_ERROR, err_msg());
		kvm_close(&kvm);
		modules_plan_free(plan);
		return status;
	}
	/* The user sees no kernel console: what matters of it goes here. */
	if (cfg->command && !cfg->verbose)
		env.notice = console_write_stderr;
	/*
	 * Root's part is done once the taps are open and the backends
	 * started; then privileges go, and what is opened after that is
	 * opened with the user's rights.
	 */
	if (open_taps(cfg, &env) || gdb_open(cfg, &kvm, &env) ||
	    run_open(&run, cfg) || open_backends(cfg, plan, fs, &env) ||
	    privileges_drop(cfg->user, NULL) ||
	    (cfg->command && command_build_initrd(cfg, plan,
						  env.root_fs != NULL,
						  &initramfs))) {
		status = fail(ARMZ_EXIT_ERROR, err_msg());
	} else {
		env.initrd_data = initramfs.buf;
		env.initrd_size = initramfs.len;
		status = run_vm(&run, &kvm, selftest);
	}
	run_close(&run);
	close_taps(&env);
	close_fs(fs, ARRAY_SIZE(fs));
	if (env.ram_reserve)
		munmap(env.ram_reserve, cfg->mem_size + (2UL << 20));
	gdb_kvm_free(env.gdb);
	cpio_free(&initramfs);
	modules_plan_free(plan);
	kvm_close(&kvm);
	return status;
}

static int cmd_run(int argc, char **argv, struct vm_stats *stats,
		   const char *selftest)
{
	static struct vm_config cfg;	/* large: PATH_MAX per disk */
	int r = cli_parse_run(argc, argv, &cfg);

	if (r == 1) {
		cli_usage_run(stdout);
		return 0;
	}
	if (r < 0) {
		fprintf(stderr, "armz: %s; see 'armz run --help'\n",
			err_msg());
		return ARMZ_EXIT_USAGE;
	}
	return run_config(&cfg, stats, NULL, selftest);
}

/*
 * Confined too; a kernel without seccomp at all does not keep 'armz
 * list' from working.
 */
static int cmd_control(int argc, char **argv, const char *selftest)
{
	int r = sandbox_enter_control(selftest);

	if (r && r != -ENOSYS)
		return fail(ARMZ_EXIT_ERROR, err_msg());
	r = control_command(argc, argv);

	if (r == -EINVAL) {
		fprintf(stderr, "armz: %s\n", err_msg());
		return ARMZ_EXIT_USAGE;
	}
	return r ? fail(ARMZ_EXIT_ERROR, err_msg()) : 0;
}

static bool is_control_command(const char *cmd)
{
	static const char *const cmds[] = {
		"list", "status", "stop", "pause", "resume",
	};

	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(cmd, cmds[i]))
			return true;
	return false;
}

/*
 * kvmtool makes the machine before it reads the kernel, and tools depend
 * on that order: kvm-unit-tests probes every test with a kernel that does
 * not exist, runs the test if the answer is "Unable to open kernel", and
 * skips it with any other complaint (a GICv2 the host cannot make). So
 * what the host cannot do is said first, a missing kernel second.
 */
static int lkvm_prepare(struct vm_config *cfg, const struct kvm *kvm)
{
	char kernel_err[512] = "";

	if (lkvm_pick_kernel_format(cfg)) {
		snprintf(kernel_err, sizeof(kernel_err), "%s", err_msg());
		/* Checked as the test binary it was meant to be. */
		cfg->kernel_format = KERNEL_FORMAT_RAW;
	}
	if (kvm_check_request(kvm, cfg))
		return -1;
	if (*kernel_err)
		return err_set(ENOENT, "%s", kernel_err);
	return 0;
}

/* armz started as lkvm, lkvm-static or vm: kvmtool's command line. */
static int lkvm_main(int argc, char **argv, struct vm_stats *stats,
		     const char *selftest)
{
	static struct vm_config cfg;
	struct lkvm_args a;
	char *ctl[2];

	if (lkvm_parse(argc, argv, &cfg, &a)) {
		fprintf(stderr, "lkvm: %s\n", err_msg());
		return ARMZ_EXIT_USAGE;
	}
	switch (a.cmd) {
	case LKVM_HELP:
		lkvm_usage(stdout);
		return 0;
	case LKVM_RUN_HELP:
		lkvm_usage_run(stdout);
		return 0;
	case LKVM_VERSION:
		printf("armz %s (kvmtool's command line)\n", ARMZ_VERSION);
		return 0;
	case LKVM_RUN:
		return run_config(&cfg, stats, lkvm_prepare, selftest);
	case LKVM_LIST:
		ctl[0] = "list";
		return cmd_control(1, ctl, selftest);
	case LKVM_STOP:
		ctl[0] = "stop";
		break;
	case LKVM_PAUSE:
		ctl[0] = "pause";
		break;
	case LKVM_RESUME:
		ctl[0] = "resume";
		break;
	}
	ctl[1] = (char *)a.name;
	return cmd_control(2, ctl, selftest);
}

int main(int argc, char **argv)
{
	struct vm_stats stats = { 0 };
	/*
	 * For the tests alone: a role (vcpu, blk, main, ...) whose threads
	 * make a forbidden call as soon as they are confined. Read here and
	 * nowhere else; nothing a guest does reaches the environment.
	 */
	const char *selftest = getenv("ARMZ_SECCOMP_SELFTEST");

	stats.start_ns = stats_now(&stats);
	if (argc > 0 && lkvm_dialect(argv[0]))
		return lkvm_main(argc, argv, &stats, selftest);
	if (argc < 2) {
		usage(stderr);
		return ARMZ_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1, &stats, selftest);
	if (is_control_command(argv[1]))
		return cmd_control(argc - 1, argv + 1, selftest);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("armz %s\n", ARMZ_VERSION);
		return 0;
	}
	fprintf(stderr, "armz: unknown command '%s'; see 'armz --help'\n",
		argv[1]);
	return ARMZ_EXIT_USAGE;
}
