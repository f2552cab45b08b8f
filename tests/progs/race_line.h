/* Lines built without stdio or malloc, so a signal handler may build and
   write them (a crash report, a status line on SIGTERM). Each line goes
   out in a single write(), so lines of threads and processes never mix. */
#ifndef RACE_LINE_H
#define RACE_LINE_H

#include <stddef.h>
#include <stdint.h>

struct line {
    char text[400];
    size_t length;
};

void line_add(struct line *line, const char *text);
void line_add_number(struct line *line, long number);
void line_add_unsigned(struct line *line, unsigned long number);
void line_add_hex(struct line *line, uintptr_t number);

/* Appends a newline and writes the line to standard output. */
void line_write(struct line *line);

/* "SIGSEGV", "SIGABRT", ...; "SIG?" for the rest. */
const char *line_signal_name(int number);

#endif
