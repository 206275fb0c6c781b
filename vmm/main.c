// SPDX-License-Identifier: GPL-2.0
/*
 * armz's entry point, and the only place that decides an exit status.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cap-ng.h>

#include <armz/err.h>
#include <armz/net-backend.h>
#include <armz/virtio-net.h>
#include "cli.h"
#include "machine.h"

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

/* Runs boots until the guest stops for good; m is the last machine. */
static void boot(struct machine *m, const struct vm_config *cfg,
		 struct kvm *kvm, int signal_fd, int control_fd)
{
	struct vm_stats *stats = m->stats;

	for (;;) {
		if (machine_create(m, cfg, kvm, stats)) {
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
		if (!stats->resets && drop_capabilities()) {
			fail(ARMZ_EXIT_ERROR, err_msg());
			m->reason = STOP_ERROR;
			m->status = ARMZ_EXIT_ERROR;
			return;
		}
		machine_run(m, signal_fd, control_fd);
		if (m->reason != STOP_RESET || cfg->no_reboot)
			return;
		machine_destroy(m);
		stats->resets++;
	}
}

static int run_vm(const struct vm_config *cfg, struct kvm *kvm,
		  struct vm_stats *stats)
{
	char *sock = NULL, default_name[32];
	const char *name = cfg->name;
	struct machine m = { .stats = stats };
	int signal_fd, control_fd = -1, status;

	if (!name) {
		snprintf(default_name, sizeof(default_name), "armz-%d",
			 (int)getpid());
		name = default_name;
	}
	signal_fd = signals_setup();
	if (signal_fd < 0)
		return fail(ARMZ_EXIT_ERROR, err_msg());
	if (!cfg->dtb_dump) {
		control_fd = control_listen(name, &sock);
		/* A name in use is a mistake; no socket directory is not. */
		if (control_fd == -EEXIST)
			return fail(ARMZ_EXIT_ERROR, err_msg());
		if (control_fd < 0)
			fprintf(stderr, "armz: no control socket (%s): 'armz list' will not show this VM\n",
				err_msg());
	}
	if (cfg->console_log && console_open_log(cfg->console_log))
		status = fail(ARMZ_EXIT_ERROR, err_msg());
	else if (term_raw_enter())
		status = fail(ARMZ_EXIT_ERROR, err_msg());
	else {
		boot(&m, cfg, kvm, signal_fd, control_fd);
		stats_mark(stats, AT_EXIT);
		term_raw_leave();
		status = status_of(&m);
		if (cfg->report && report_save(cfg->report, &m, name))
			status = fail(ARMZ_EXIT_ERROR, err_msg());
		machine_destroy(&m);
	}
	console_close_log();
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
 * network device works on a dup, so a guest reset needs no privilege.
 */
static int open_taps(struct vm_config *cfg)
{
	struct net_config nc;
	int r = 0;

	for (unsigned int i = 0; !r && i < cfg->nnets; i++) {
		r = net_parse(cfg->nets[i], &nc);
		if (!r && nc.type == NET_TAP)
			r = net_tap_create(nc.ifname, &cfg->tap_fds[i]);
	}
	return r;
}

static void close_taps(struct vm_config *cfg)
{
	for (unsigned int i = 0; i < cfg->nnets; i++)
		if (cfg->tap_fds[i] >= 0)
			close(cfg->tap_fds[i]);
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
	struct cpio initramfs = { 0 };
	struct vm_config cfg;
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
	raise_fd_limit();
	if (kvm_open(&kvm, cfg.kvm_dev ? cfg.kvm_dev : kvm_default_device()) ||
	    kvm_probe(&kvm)) {
		status = fail(ARMZ_EXIT_ERROR, err_msg());
		kvm_close(&kvm);
		return status;
	}
	if ((cfg.command && command_build_initrd(&cfg, &initramfs)) ||
	    open_taps(&cfg)) {
		status = fail(ARMZ_EXIT_ERROR, err_msg());
	} else {
		cfg.initrd_data = initramfs.buf;
		cfg.initrd_size = initramfs.len;
		status = run_vm(&cfg, &kvm, stats);
	}
	close_taps(&cfg);
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
