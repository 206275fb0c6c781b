// SPDX-License-Identifier: GPL-2.0
/*
 * armz's entry point, and the only place that decides an exit status.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cap-ng.h>

#include <armz/err.h>
#include "cli.h"
#include "machine.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: armz run --kernel IMAGE [options]   boot a Linux guest\n"
"       armz run --help                     options of 'run'\n"
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

static int status_of(const struct machine *m, const struct vm_config *cfg)
{
	if (m->reason == STOP_RESET)
		fprintf(stderr, "armz: the guest reset and --no-reboot was given\n");
	return m->status;
}

static int boot(const struct vm_config *cfg, struct kvm *kvm, int signal_fd)
{
	unsigned int resets = 0;
	struct machine m;
	int status;

	for (;;) {
		if (machine_create(&m, cfg, kvm, resets)) {
			status = fail(ARMZ_EXIT_ERROR, err_msg());
			machine_destroy(&m);
			return status;
		}
		if (cfg->dtb_dump) {
			machine_destroy(&m);
			return ARMZ_EXIT_POWEROFF;
		}
		machine_run(&m, signal_fd);
		if (m.reason != STOP_RESET || cfg->no_reboot)
			break;
		machine_destroy(&m);
		resets++;
	}
	status = status_of(&m, cfg);
	machine_destroy(&m);
	return status;
}

static int cmd_run(int argc, char **argv)
{
	struct vm_config cfg;
	struct kvm kvm;
	int r, signal_fd, status;

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
	if (kvm_open(&kvm, cfg.kvm_dev ? cfg.kvm_dev : kvm_default_device()) ||
	    kvm_probe(&kvm)) {
		status = fail(ARMZ_EXIT_ERROR, err_msg());
		kvm_close(&kvm);
		return status;
	}
	signal_fd = signals_setup();
	if (signal_fd < 0 || drop_capabilities() || term_raw_enter()) {
		kvm_close(&kvm);
		return fail(ARMZ_EXIT_ERROR, err_msg());
	}
	status = boot(&cfg, &kvm, signal_fd);
	term_raw_leave();
	kvm_close(&kvm);
	close(signal_fd);
	return status;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return ARMZ_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
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
