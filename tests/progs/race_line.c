#define _GNU_SOURCE
#include "race_line.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

void line_add(struct line *line, const char *text)
{
    while (*text && line->length < sizeof line->text - 1)
        line->text[line->length++] = *text++;
}

static void add_digits(struct line *line, uintmax_t value, unsigned base)
{
    char digits[24];
    int count = 0;
    do
        digits[count++] = "0123456789abcdef"[value % base];
    while ((value /= base) != 0);
    while (count > 0 && line->length < sizeof line->text - 1)
        line->text[line->length++] = digits[--count];
}

void line_add_number(struct line *line, long number)
{
    if (number < 0) {
        line_add(line, "-");
        add_digits(line, -(uintmax_t)number, 10);
    } else {
        add_digits(line, (uintmax_t)number, 10);
    }
}

void line_add_unsigned(struct line *line, unsigned long number)
{
    add_digits(line, number, 10);
}

void line_add_hex(struct line *line, uintptr_t number)
{
    line_add(line, "0x");
    add_digits(line, number, 16);
}

void line_write(struct line *line)
{
    int saved_errno = errno;
    line->text[line->length++] = '\n'; /* room kept by the appenders */
    for (size_t done = 0; done < line->length;) {
        ssize_t written = write(STDOUT_FILENO, line->text + done, line->length - done);
        if (written <= 0)
            break;
        done += (size_t)written;
    }
    line->length--;
    errno = saved_errno;
}

const char *line_signal_name(int number)
{
    switch (number) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGABRT: return "SIGABRT";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGTRAP: return "SIGTRAP";
    case SIGSYS: return "SIGSYS";
    default: return "SIG?";
    }
}
