// SPDX-License-Identifier: GPL-2.0
/*
 * Bare-metal payloads for bring-up: a raw AArch64 binary, or an ELF64 whose
 * PT_LOAD segments are placed at their physical addresses. The ELF headers
 * are decoded field by field with the LE accessors, since the host may be
 * big-endian and the file is not necessarily aligned.
 */
#include <errno.h>
#include <string.h>

#include <armz/err.h>
#include <armz/le.h>
#include <armz/loader.h>

/* Offsets into Elf64_Ehdr and Elf64_Phdr (System V ABI). */
#define EI_CLASS		4
#define EI_DATA			5
#define EI_VERSION		6
#define ELFCLASS64		2
#define ELFDATA2LSB		1
#define EV_CURRENT		1
#define EH_TYPE			16
#define EH_MACHINE		18
#define EH_ENTRY		24
#define EH_PHOFF		32
#define EH_PHENTSIZE		54
#define EH_PHNUM		56
#define EHDR_SIZE		64
#define ET_EXEC			2
#define ET_DYN			3
#define EM_AARCH64		183
#define PN_XNUM			0xffff

#define PH_TYPE			0
#define PH_OFFSET		8
#define PH_PADDR		24
#define PH_FILESZ		32
#define PH_MEMSZ		40
#define PHDR_SIZE		56
#define PT_LOAD			1

struct elf_seg {
	uint64_t offset, paddr, filesz, memsz;
};

struct elf_phtab {
	const uint8_t *base;
	unsigned int num, entsize;
};

/* Program header i if it is a PT_LOAD with something in it. */
static bool seg_get(const struct elf_phtab *tab, unsigned int i,
		    struct elf_seg *s)
{
	const uint8_t *ph = tab->base + (size_t)i * tab->entsize;

	if (le32_read(ph + PH_TYPE) != PT_LOAD)
		return false;
	s->offset = le64_read(ph + PH_OFFSET);
	s->paddr = le64_read(ph + PH_PADDR);
	s->filesz = le64_read(ph + PH_FILESZ);
	s->memsz = le64_read(ph + PH_MEMSZ);
	/* Linkers emit empty ones; they load nothing, anywhere. */
	return s->memsz || s->filesz;
}

static int outside_ram(const struct guest_mem *mem, const char *what,
		       uint64_t gpa, uint64_t size)
{
	return err_set(EINVAL, "payload %s 0x%llx +0x%llx lies outside RAM "
		       "0x%llx-0x%llx", what, (unsigned long long)gpa,
		       (unsigned long long)size, (unsigned long long)mem->gpa,
		       (unsigned long long)guest_mem_end(mem));
}

static int elf_check_ehdr(const uint8_t *b, size_t len)
{
	if (len < EHDR_SIZE)
		return err_set(EINVAL, "payload ELF is truncated: %zu bytes, "
			       "the ELF header alone is %d", len, EHDR_SIZE);
	if (b[EI_CLASS] != ELFCLASS64)
		return err_set(EINVAL, "payload is not a 64-bit ELF: armz "
			       "runs AArch64 payloads");
	if (b[EI_DATA] != ELFDATA2LSB)
		return err_set(EINVAL, "payload ELF is big-endian: armz runs "
			       "little-endian AArch64 payloads");
	if (b[EI_VERSION] != EV_CURRENT)
		return err_set(EINVAL, "payload ELF has unknown version %u",
			       b[EI_VERSION]);
	if (le16_read(b + EH_MACHINE) != EM_AARCH64)
		return err_set(EINVAL, "payload ELF is for machine %u, not "
			       "AArch64 (%u)", le16_read(b + EH_MACHINE),
			       EM_AARCH64);
	if (le16_read(b + EH_TYPE) != ET_EXEC &&
	    le16_read(b + EH_TYPE) != ET_DYN)
		return err_set(EINVAL, "payload ELF is not an executable "
			       "(e_type %u)", le16_read(b + EH_TYPE));
	return 0;
}

/* The program header table, bounds-checked. */
static int elf_phdrs(const uint8_t *b, size_t len, struct elf_phtab *tab)
{
	uint64_t phoff = le64_read(b + EH_PHOFF);
	uint64_t n = le16_read(b + EH_PHNUM);
	uint64_t ent = le16_read(b + EH_PHENTSIZE);

	if (n == 0 || n == PN_XNUM)
		return err_set(EINVAL, "payload ELF has %s program headers",
			       n ? "too many" : "no");
	if (ent < PHDR_SIZE)
		return err_set(EINVAL, "payload ELF program header size %llu "
			       "is below %d", (unsigned long long)ent,
			       PHDR_SIZE);
	/* n and ent are 16-bit: n * ent cannot overflow. */
	if (phoff > len || n * ent > len - phoff)
		return err_set(EINVAL, "payload ELF is truncated: program "
			       "headers at 0x%llx +0x%llx end beyond the "
			       "file (%zu bytes)", (unsigned long long)phoff,
			       (unsigned long long)(n * ent), len);
	tab->base = b + phoff;
	tab->num = (unsigned int)n;
	tab->entsize = (unsigned int)ent;
	return 0;
}

static int seg_check(const struct guest_mem *mem, const struct elf_seg *s,
		     size_t len)
{
	if (s->filesz > s->memsz)
		return err_set(EINVAL, "payload segment 0x%llx has more file "
			       "data (0x%llx) than memory (0x%llx)",
			       (unsigned long long)s->paddr,
			       (unsigned long long)s->filesz,
			       (unsigned long long)s->memsz);
	if (s->offset > len || s->filesz > len - s->offset)
		return err_set(EINVAL, "payload ELF is truncated: segment "
			       "data at 0x%llx +0x%llx ends beyond the file "
			       "(%zu bytes)", (unsigned long long)s->offset,
			       (unsigned long long)s->filesz, len);
	if (!guest_mem_at(mem, s->paddr, s->memsz))
		return outside_ram(mem, "segment", s->paddr, s->memsz);
	return 0;
}

static int elf_load(const struct guest_mem *mem, const uint8_t *b,
		    size_t len, uint64_t *entry)
{
	struct elf_phtab tab = { 0 };
	unsigned int i, nload = 0;
	struct elf_seg s;
	uint64_t e;
	int ret;

	ret = elf_check_ehdr(b, len);
	if (!ret)
		ret = elf_phdrs(b, len, &tab);
	if (ret)
		return ret;

	/* Check everything before writing anything. */
	for (i = 0; i < tab.num; i++) {
		if (!seg_get(&tab, i, &s))
			continue;
		ret = seg_check(mem, &s, len);
		if (ret)
			return ret;
		nload++;
	}
	if (!nload)
		return err_set(EINVAL, "payload ELF has no loadable segment");
	e = le64_read(b + EH_ENTRY);
	if (!guest_mem_at(mem, e, 4))
		return outside_ram(mem, "entry point", e, 4);
	if (e & 3)
		return err_set(EINVAL, "payload entry point 0x%llx is not "
			       "4-byte aligned", (unsigned long long)e);

	for (i = 0; i < tab.num; i++) {
		uint8_t *dst;

		if (!seg_get(&tab, i, &s))
			continue;
		dst = guest_mem_at(mem, s.paddr, s.memsz);
		if (!dst)	/* cannot happen: checked above */
			return outside_ram(mem, "segment", s.paddr, s.memsz);
		memcpy(dst, b + s.offset, s.filesz);
		memset(dst + s.filesz, 0, s.memsz - s.filesz);
	}
	*entry = e;
	return 0;
}

static int raw_load(const struct guest_mem *mem, const uint8_t *b,
		    size_t len, uint64_t addr, uint64_t *entry)
{
	void *dst;

	if (addr & 3)
		return err_set(EINVAL, "payload load address 0x%llx is not "
			       "4-byte aligned", (unsigned long long)addr);
	dst = guest_mem_at(mem, addr, len);
	if (!dst)
		return outside_ram(mem, "image", addr, len);
	memcpy(dst, b, len);
	*entry = addr;
	return 0;
}

int payload_load(const struct guest_mem *mem, const void *buf, size_t len,
		 bool has_load_addr, uint64_t load_addr, uint64_t *entry)
{
	const uint8_t *b = buf;

	if (!len)
		return err_set(EINVAL, "payload is empty");
	if (len >= 4 && !memcmp(b, "\177ELF", 4))
		return elf_load(mem, b, len, entry);
	return raw_load(mem, b, len, has_load_addr ? load_addr : mem->gpa,
			entry);
}
