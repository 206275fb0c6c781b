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

#include <cap-ng.h>

#include <armz/command.h>
#include <armz/err.h>
#include <armz/net-backend.h>
#include "cli.h"
#include "command.h"
#include "console.h"
#include "control.h"
#include "fs-backend.h"
#include "machine.h"
#include "report.h"
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

/* What armz opens it has opened by now; nothing later needs privilege. */
static int drop_capabilities(void)
{
	capng_clear(CAPNG_SELECT_BOTH);
	if (capng_apply(CAPNG_SELECT_BOTH) < 0 && geteuid() == 0)
		return err_set(EPERM, "cannot drop capabilities");
	return 0;
}

/* What the run's end means for the exit status, and says on stderr. */
static int status_of(const struct machine *m)
{
	if (m->reason == STOP_RESET)
		fprintf(stderr, "armz: the guest reset and --no-reboot was given\n");
	return m->status;
}

/* --- What the console and the control socket may do to the machine --- */

static void on_escape(void *ctx)
{
	machine_request_stop(ctx, STOP_USER, 128 + SIGINT,
			     "console escape: stopping the guest");
}

struct run {
	struct machine *machine;
	const char *name;
};

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
	console_stop();
	machine_stop(m);
}

/* Runs boots until the guest stops for good; m is the last machine. */
static void boot(struct run *run, const struct vm_config *cfg,
		 struct kvm *kvm, const struct machine_env *env,
		 int signal_fd, int control_fd)
{
	struct machine *m = run->machine;

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
		/* The first machine has opened every device: now drop. */
		if (!env->stats->resets && drop_capabilities()) {
			fail(ARMZ_EXIT_ERROR, err_msg());
			m->reason = STOP_ERROR;
			m->status = ARMZ_EXIT_ERROR;
			return;
		}
		run_machine(run, signal_fd, control_fd);
		if (m->reason != STOP_RESET || cfg->no_reboot)
			return;
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

static int run_vm(const struct vm_config *cfg, struct kvm *kvm,
		  const struct machine_env *env)
{
	char *sock = NULL, default_name[32];
	struct machine m;
	struct run run = { .machine = &m, .name = cfg->name };
	int signal_fd, control_fd = -1, status;

	if (!run.name) {
		snprintf(default_name, sizeof(default_name), "armz-%d",
			 (int)getpid());
		run.name = default_name;
	}
	signal_fd = signals_setup();
	if (signal_fd < 0)
		return fail(ARMZ_EXIT_ERROR, err_msg());
	if (!cfg->dtb_dump) {
		control_fd = control_listen(run.name, &sock);
		/* A name in use is a mistake; no socket directory is not. */
		if (control_fd == -EEXIST)
			return fail(ARMZ_EXIT_ERROR, err_msg());
		if (control_fd < 0)
			fprintf(stderr, "armz: no control socket (%s): 'armz list' will not show this VM\n",
				err_msg());
	}
	if (console_open(cfg->console_log, console_out_of(cfg)))
		status = fail(ARMZ_EXIT_ERROR, err_msg());
	else if (term_raw_enter())
		status = fail(ARMZ_EXIT_ERROR, err_msg());
	else {
		boot(&run, cfg, kvm, env, signal_fd, control_fd);
		stats_mark(env->stats, AT_EXIT);
		term_raw_leave();
		status = status_of(&m);
		if (cfg->report && report_save(cfg->report, &m, run.name))
			status = fail(ARMZ_EXIT_ERROR, err_msg());
		machine_destroy(&m);
	}
	console_close();
	if (sock)
		unlink(sock);
	free(sock);
	if (control_fd >= 0)
		close(control_fd);
	close(signal_fd);
	return status;
}

/*
 * Taps are made once, while armz may still create them; every boot's
 * backend (net_backend_new(), given env->tap_fds[i]) works on a dup, so a
 * guest reset needs no privilege.
 */
static int open_taps(const struct vm_config *cfg, struct machine_env *env)
{
	int r = 0;

	for (unsigned int i = 0; !r && i < cfg->nnets; i++)
		if (cfg->nets[i].type == NET_TAP)
			r = net_tap_create(cfg->nets[i].ifname,
					   &env->tap_fds[i]);
	return r;
}

static void close_taps(struct machine_env *env)
{
	for (unsigned int i = 0; i < VM_MAX_NETS; i++)
		if (env->tap_fds[i] >= 0)
			close(env->tap_fds[i]);
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
static void open_root_fs(const struct vm_config *cfg, struct fs_backend *b,
			 struct machine_env *env)
{
	struct fs_share root = { .ro = !cfg->rw };
	char path[PATH_MAX];
	enum fsd_kind kind;
	const char *why = NULL;

	snprintf(root.dir, sizeof(root.dir), "%s", cfg->rootfs);
	snprintf(root.tag, sizeof(root.tag), "%s", COMMAND_ROOT_TAG);
	if (virtiofsd_find(path, sizeof(path), &kind))
		why = err_msg();
	else if (!command_kernel_has_virtiofs(cfg))
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

static int cmd_run(int argc, char **argv, struct vm_stats *stats)
{
	static struct vm_config cfg;	/* large: PATH_MAX per disk */
	struct machine_env env = {
		.stats = stats,
		.console = console_write,
		.cmd_stdout = console_write_stdout,
		.cmd_stderr = console_write_stderr,
	};
	/* [VM_MAX_SHARES]: the run-a-command root's. */
	static struct fs_backend fs[VM_MAX_SHARES + 1];
	struct cpio initramfs = { 0 };
	struct kvm kvm;
	int r, status;

	r = cli_parse_run(argc, argv, &cfg);
	if (r == 1) {
		cli_usage_run(stdout);
		return 0;
	}
	if (r < 0) {
		fprintf(stderr, "armz: %s; see 'armz run --help'\n",
			err_msg());
		return ARMZ_EXIT_USAGE;
	}
	for (unsigned int i = 0; i < VM_MAX_NETS; i++)
		env.tap_fds[i] = -1;
	raise_fd_limit();
	if (kvm_open(&kvm, cfg.kvm_dev ? cfg.kvm_dev : kvm_default_device()) ||
	    kvm_probe(&kvm)) {
		status = fail(ARMZ_EXIT_ERROR, err_msg());
		kvm_close(&kvm);
		return status;
	}
	if (cfg.command)
		open_root_fs(&cfg, &fs[VM_MAX_SHARES], &env);
	if (open_fs(&cfg, fs, &env) || reserve_shared_ram(&cfg, &env) ||
	    (cfg.command && command_build_initrd(&cfg, env.root_fs != NULL,
						 &initramfs)) ||
	    open_taps(&cfg, &env)) {
		status = fail(ARMZ_EXIT_ERROR, err_msg());
	} else {
		env.initrd_data = initramfs.buf;
		env.initrd_size = initramfs.len;
		status = run_vm(&cfg, &kvm, &env);
	}
	close_taps(&env);
	close_fs(fs, VM_MAX_SHARES + 1);
	if (env.ram_reserve)
		munmap(env.ram_reserve, cfg.mem_size + (2UL << 20));
	cpio_free(&initramfs);
	kvm_close(&kvm);
	return status;
}

static int cmd_control(int argc, char **argv)
{
	int r = control_command(argc, argv);

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

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmd, cmds[i]))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return ARMZ_EXIT_USAGE;
	}
	struct vm_stats stats = { 0 };

	stats.start_ns = stats_now(&stats);
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1, &stats);
	if (is_control_command(argv[1]))
		return cmd_control(argc - 1, argv + 1);
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
