#define _GNU_SOURCE
#include "cell_tally.h"

#include <stdlib.h>
#include <string.h>

#include "race_line.h"

static void counts_add(struct counts *counts, const char *name, size_t length,
                       unsigned long count)
{
    if (length >= sizeof counts->name[0])
        length = sizeof counts->name[0] - 1;
    for (int i = 0; i < counts->used; i++) {
        if (strlen(counts->name[i]) == length && memcmp(counts->name[i], name, length) == 0) {
            counts->count[i] += count;
            return;
        }
    }
    if (counts->used == TALLY_NAMES)
        return;
    memcpy(counts->name[counts->used], name, length);
    counts->name[counts->used][length] = '\0';
    counts->count[counts->used++] = count;
}

static void counts_merge(struct counts *into, const struct counts *from)
{
    for (int i = 0; i < from->used; i++)
        counts_add(into, from->name[i], strlen(from->name[i]), from->count[i]);
}

/* "a:1,b:2" (or "-") into counts. */
static void parse_counts(const char *text, struct counts *counts)
{
    while (*text && *text != ' ' && *text != '-') {
        const char *colon = strchr(text, ':');
        if (!colon)
            return;
        char *end;
        unsigned long count = strtoul(colon + 1, &end, 10);
        counts_add(counts, text, (size_t)(colon - text), count);
        text = *end == ',' ? end + 1 : end;
    }
}

/* The value after " key=" in line, or NULL. */
static const char *value_of(const char *line, const char *key)
{
    size_t length = strlen(key);
    for (const char *at = strstr(line, key); at; at = strstr(at + 1, key))
        if (at > line && at[-1] == ' ' && at[length] == '=')
            return at + length + 1;
    return NULL;
}

static unsigned long number_of(const char *line, const char *key)
{
    const char *value = value_of(line, key);
    return value ? strtoul(value, NULL, 10) : 0;
}

static void read_status(struct trial_lines *lines, const char *line)
{
    struct status *status = &lines->status;
    memset(status, 0, sizeof *status);
    status->rounds = number_of(line, "rounds");
    status->covered = number_of(line, "covered");
    status->entered = number_of(line, "entered");
    status->failed = number_of(line, "failed");
    const char *kinds = value_of(line, "kinds");
    if (kinds)
        parse_counts(kinds, &status->kinds);
    lines->have_status = true;
}

static void read_crash(struct trial_lines *lines, const char *line)
{
    if (lines->have_crash)
        return; /* the first one is the cause */
    lines->have_crash = true;
    snprintf(lines->crash_line, sizeof lines->crash_line, "%s", line);
    const char *signal = value_of(line, "signal");
    if (signal)
        snprintf(lines->crash_signal, sizeof lines->crash_signal, "%.*s",
                 (int)strcspn(signal, " "), signal);
    const char *memory = value_of(line, "memory");
    lines->crash_in_released = memory && strncmp(memory, "released", 8) == 0;
    lines->crash_offset = strtol(value_of(line, "offset") ? value_of(line, "offset") : "0",
                                 NULL, 10);
}

bool tally_read_line(void *context, const char *line)
{
    struct trial_lines *lines = context;
    const char *word = strstr(line, ": ");
    word = word ? word + 2 : line;
    if (strncmp(word, "progress ", 9) == 0) {
        read_status(lines, word);
        return true;
    }
    if (strncmp(word, "RESULT ", 7) == 0) {
        read_status(lines, word);
        lines->have_result = true;
        return true;
    }
    if (strncmp(word, "CRASH ", 6) == 0)
        read_crash(lines, word);
    else if (strncmp(word, "FAIL round ", 11) == 0 && lines->first_failure[0] == '\0')
        snprintf(lines->first_failure, sizeof lines->first_failure, "%s", word + 5);
    if (*line)
        snprintf(lines->last_line, sizeof lines->last_line, "%s", line);
    return false;
}

static void add_status(struct tally *tally, const struct status *status, bool one_more_failed)
{
    tally->rounds += status->rounds + one_more_failed;
    tally->failed += status->failed + one_more_failed;
    tally->covered += status->covered;
    tally->entered += status->entered;
    counts_merge(&tally->kinds, &status->kinds);
}

static void note_first(struct tally *tally, const char *text)
{
    if (tally->first[0] == '\0' && text[0] != '\0')
        snprintf(tally->first, sizeof tally->first, "%s", text);
}

static void add_crash(struct tally *tally, const struct trial_lines *lines, int signal)
{
    tally->crashes++;
    const char *name = lines->have_crash && lines->crash_signal[0] ? lines->crash_signal
                                                                    : line_signal_name(signal);
    counts_add(&tally->signals, name, strlen(name), 1);
    if (lines->have_crash && lines->crash_in_released) {
        char offset[24];
        tally->crashes_in_released++;
        snprintf(offset, sizeof offset, "%ld", lines->crash_offset);
        counts_add(&tally->offsets, offset, strlen(offset), 1);
    }
}

bool tally_add_trial(struct tally *tally, const struct trial_lines *lines,
                     const struct trial_outcome *outcome)
{
    tally->trials++;
    note_first(tally, lines->first_failure);
    switch (outcome->how) {
    case TRIAL_NOT_STARTED:
        tally->setup_error = true;
        note_first(tally, "could not start the program");
        return true;
    case TRIAL_HANG: {
        char what[64];
        snprintf(what, sizeof what, "hang in round %lu (no progress; killed)",
                 lines->status.rounds);
        tally->hangs++;
        add_status(tally, &lines->status, true);
        note_first(tally, what);
        return true;
    }
    case TRIAL_KILLED:
        add_crash(tally, lines, outcome->code);
        add_status(tally, &lines->status, true);
        note_first(tally, lines->have_crash ? lines->crash_line : lines->last_line);
        return true;
    case TRIAL_EXITED:
        break;
    }
    if (!lines->have_result && (outcome->code == 2 || outcome->code == 127)) {
        tally->setup_error = true;
        note_first(tally, lines->last_line);
        return true;
    }
    if (!lines->have_result) { /* exited without its report: a failure of its own */
        tally->exits++;
        add_status(tally, &lines->status, true);
        note_first(tally, lines->last_line);
        return true;
    }
    add_status(tally, &lines->status, false);
    if (outcome->code == 0)
        return lines->status.failed > 0;
    if (lines->status.failed == 0) { /* failed, but no round did: say why */
        tally->exits++;
        tally->failed++;
        if (tally->rounds < tally->failed)
            tally->rounds = tally->failed;
        note_first(tally, lines->last_line);
    }
    return true;
}

static void print_counts(FILE *out, const char *key, const struct counts *counts)
{
    fprintf(out, " %s=", key);
    if (counts->used == 0)
        fputc('-', out);
    for (int i = 0; i < counts->used; i++)
        fprintf(out, "%s%s:%lu", i ? "," : "", counts->name[i], counts->count[i]);
}

void tally_print(const struct tally *tally, double seconds, FILE *out)
{
    fprintf(out, "trials=%lu rounds=%lu failed=%lu covered=%lu entered=%lu crashes=%lu "
            "in_released=%lu hangs=%lu exits=%lu setup_error=%d seconds=%.2f",
            tally->trials, tally->rounds, tally->failed, tally->covered, tally->entered,
            tally->crashes,
            tally->crashes_in_released, tally->hangs, tally->exits, tally->setup_error,
            seconds);
    print_counts(out, "signals", &tally->signals);
    print_counts(out, "offsets", &tally->offsets);
    print_counts(out, "kinds", &tally->kinds);
    /* Last: it may hold spaces. Tabs and newlines never. */
    fprintf(out, " first=");
    for (const char *c = tally->first; *c; c++)
        fputc(*c == '\t' || *c == '\n' ? ' ' : *c, out);
    fputc('\n', out);
}
