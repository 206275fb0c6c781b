// SPDX-License-Identifier: GPL-2.0
/*
 * The run report: JSON for --report at exit and for `armz status` while the
 * guest runs. States and reasons are libvirt's own names and numbers, so a
 * tool that already speaks libvirt needs no table of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libvirt/libvirt.h>

#include <armz/err.h>
#include <armz/virtio-mmio.h>
#include "machine.h"
#include "report.h"

struct lv_state {
	int state;
	const char *state_name;
	int reason;
	const char *reason_name;
};

#define LV(state, reason) { state, #state, reason, #reason }

static struct lv_state report_state(const struct machine *m)
{
	static const struct lv_state stopped[] = {
		[STOP_NONE] = LV(VIR_DOMAIN_RUNNING, VIR_DOMAIN_RUNNING_BOOTED),
		[STOP_POWEROFF] = LV(VIR_DOMAIN_SHUTOFF,
				     VIR_DOMAIN_SHUTOFF_SHUTDOWN),
		[STOP_RESET] = LV(VIR_DOMAIN_SHUTOFF,
				  VIR_DOMAIN_SHUTOFF_SHUTDOWN),
		[STOP_PANIC] = LV(VIR_DOMAIN_CRASHED,
				  VIR_DOMAIN_CRASHED_PANICKED),
		[STOP_FAULT] = LV(VIR_DOMAIN_CRASHED,
				  VIR_DOMAIN_CRASHED_UNKNOWN),
		[STOP_ERROR] = LV(VIR_DOMAIN_SHUTOFF,
				  VIR_DOMAIN_SHUTOFF_FAILED),
		[STOP_SIGNAL] = LV(VIR_DOMAIN_SHUTOFF,
				   VIR_DOMAIN_SHUTOFF_DESTROYED),
		[STOP_USER] = LV(VIR_DOMAIN_SHUTOFF,
				 VIR_DOMAIN_SHUTOFF_DESTROYED),
		[STOP_TEST_EXIT] = LV(VIR_DOMAIN_SHUTOFF,
				      VIR_DOMAIN_SHUTOFF_SHUTDOWN),
		[STOP_TIMEOUT] = LV(VIR_DOMAIN_SHUTOFF,
				    VIR_DOMAIN_SHUTOFF_DESTROYED),
	};
	static const struct lv_state paused =
		LV(VIR_DOMAIN_PAUSED, VIR_DOMAIN_PAUSED_USER);

	if (m->reason == STOP_NONE && vcpus_paused(&m->vcpus))
		return paused;
	return stopped[m->reason];
}

static const char *const stop_names[] = {
	[STOP_NONE] = "running",
	[STOP_POWEROFF] = "poweroff",
	[STOP_RESET] = "reset",
	[STOP_PANIC] = "panic",
	[STOP_FAULT] = "guest-fault",
	[STOP_ERROR] = "error",
	[STOP_SIGNAL] = "signal",
	[STOP_USER] = "user",
	[STOP_TEST_EXIT] = "test-exit",
	[STOP_TIMEOUT] = "timeout",
};

/* kB from a "Name:   123 kB" line of /proc/self/status, or 0. */
static unsigned long long proc_status_kib(const char *name)
{
	unsigned long long v = 0;
	size_t len = strlen(name);
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':')
			sscanf(line + len + 1, "%llu", &v);
	if (f)
		fclose(f);
	return v;
}

/* Resident kB of the guest RAM mapping, from /proc/self/smaps. */
static unsigned long long guest_ram_rss_kib(const struct machine *m)
{
	unsigned long long start, end, v = 0;
	uintptr_t host = (uintptr_t)m->mem.host;
	bool inside = false;
	char line[512];
	FILE *f = fopen("/proc/self/smaps", "r");

	while (host && f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx ", &start, &end) == 2)
			inside = host >= start && host < end;
		else if (inside && !strncmp(line, "Rss:", 4))
			sscanf(line + 4, "%llu", &v);
	}
	if (f)
		fclose(f);
	return v;
}

static void report_time(FILE *f, const char *key, uint64_t ns, bool last)
{
	if (ns)
		fprintf(f, "    \"%s\": %.3f%s\n", key, (double)ns / 1e6,
			last ? "" : ",");
	else
		fprintf(f, "    \"%s\": null%s\n", key, last ? "" : ",");
}

static void report_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* The console's bytes, then every virtio device's counters, by slot. */
/*
 * The MMIO exits by device, "uart@0x9000000": which one a guest's
 * driver keeps calling on (--dtb-dump names the rest).
 */
static void report_mmio_exits(FILE *f, const struct machine *m)
{
	const char *sep = "";

	fprintf(f, "  \"mmio_exits\": {");
	for (unsigned int i = 0; i < m->bus.count; i++) {
		const struct mmio_region *r = &m->bus.regions[i];
		uint64_t n = m->stats->mmio_exits_at[i];

		if (!n)
			continue;
		fprintf(f, "%s\n    \"%s@0x%llx\": %llu", sep,
			r->ops->name ? r->ops->name : "mmio",
			(unsigned long long)r->base, (unsigned long long)n);
		sep = ",";
	}
	fprintf(f, "%s},\n", *sep ? "\n  " : "");
}

static void report_devices(FILE *f, const struct machine *m)
{
	const struct mmio_bus *bus = &m->bus;
	struct virtio_stats st;
	unsigned int slot = 0;

	fprintf(f, "  \"devices\": [\n    { \"name\": \"console\", \"bytes_out\": %llu, \"bytes_in\": %llu }",
		(unsigned long long)m->stats->console_out,
		(unsigned long long)m->stats->console_in);
	for (unsigned int i = 0; i < bus->count; i++) {
		const struct virtio_device *dev;

		if (bus->regions[i].ops != &virtio_mmio_ops)
			continue;
		dev = virtio_mmio_device(bus->regions[i].opaque);
		virtio_dev_stats(dev, &st);
		fprintf(f, ",\n    { \"name\": \"%s\", \"slot\": %u, \"requests\": %llu, \"bytes_in\": %llu, \"bytes_out\": %llu, \"errors\": %llu, \"kicks\": %llu, \"interrupts\": %llu }",
			dev->name, slot++, (unsigned long long)st.requests,
			(unsigned long long)st.bytes_in,
			(unsigned long long)st.bytes_out,
			(unsigned long long)st.errors,
			(unsigned long long)st.kicks,
			(unsigned long long)st.interrupts);
	}
	fprintf(f, "\n  ],\n");
}

void report_write(FILE *f, const struct machine *m, const char *name)
{
	const struct vm_stats *s = m->stats;
	struct lv_state st = report_state(m);
	unsigned long long hwm = proc_status_kib("VmHWM");
	unsigned long long ram = guest_ram_rss_kib(m);

	fprintf(f, "{\n  \"name\": ");
	report_string(f, name);
	fprintf(f, ",\n  \"armz_version\": \"%s\",\n", ARMZ_VERSION);
	fprintf(f, "  \"state\": \"%s\",\n  \"state_code\": %d,\n",
		st.state_name, st.state);
	fprintf(f, "  \"reason\": \"%s\",\n  \"reason_code\": %d,\n",
		st.reason_name, st.reason);
	fprintf(f, "  \"stop\": \"%s\",\n", stop_names[m->reason]);
	if (m->reason == STOP_NONE)
		fprintf(f, "  \"exit_status\": null,\n");
	else
		fprintf(f, "  \"exit_status\": %d,\n", m->status);
	/* Run-a-command mode: what carried the root, and why not virtio-fs. */
	if (m->cfg->command && m->env) {
		fprintf(f, "  \"root_fs\": \"%s\",\n",
			m->env->root_fs ? "virtiofs" : "9p");
		if (!m->env->root_fs) {
			fprintf(f, "  \"root_fs_fallback\": ");
			report_string(f, m->env->root_fs_note);
			fprintf(f, ",\n");
		}
	}
	fprintf(f, "  \"resets\": %u,\n  \"vcpus\": %u,\n  \"memory_mib\": %llu,\n",
		s->resets, m->ncpus,
		(unsigned long long)(m->cfg->mem_size >> 20));
	fprintf(f, "  \"times_ms\": {\n");
	report_time(f, "first_kvm_run", s->at[AT_FIRST_RUN], false);
	report_time(f, "first_console_output", s->at[AT_FIRST_OUTPUT], false);
	report_time(f, "userspace", s->at[AT_USERSPACE], false);
	report_time(f, "exit", s->at[AT_EXIT], true);
	fprintf(f, "  },\n  \"vcpu_exits\": {\n"
		"    \"mmio\": %llu,\n    \"system_event\": %llu,\n"
		"    \"interrupted\": %llu,\n    \"other\": %llu\n  },\n",
		(unsigned long long)s->exits[EXITS_MMIO],
		(unsigned long long)s->exits[EXITS_SYSTEM_EVENT],
		(unsigned long long)s->exits[EXITS_INTERRUPTED],
		(unsigned long long)s->exits[EXITS_OTHER]);
	/* Guest writes served without an exit (the UART's THR). */
	fprintf(f, "  \"queued_writes\": %llu,\n",
		(unsigned long long)s->queued_writes);
	report_mmio_exits(f, m);
	report_devices(f, m);
	fprintf(f, "  \"host\": {\n    \"peak_rss_kib\": %llu,\n"
		"    \"guest_ram_rss_kib\": %llu,\n"
		"    \"peak_rss_outside_guest_ram_kib\": %llu\n  }\n}\n",
		hwm, ram, hwm > ram ? hwm - ram : 0);
}

int report_save(const char *path, const struct machine *m, const char *name)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return err_set(errno, "cannot write report '%s': %s", path,
			       strerror(errno));
	report_write(f, m, name);
	if (fclose(f))
		return err_set(errno, "cannot write report '%s': %s", path,
			       strerror(errno));
	return 0;
}
