/* barrier_through_one_library: a program that imports pthread_barrier_*
 * only through one of the three libraries it links (libinstall_barrier_user;
 * libinstall_quiet_a and libinstall_quiet_c import none). --explain must
 * name that library, and only it. Exit status: barrier_user_round's. */
int quiet_a(const char *text);
int quiet_c(const char *text);
int barrier_user_round(void);

int main(void)
{
    return barrier_user_round() + (quiet_a("a") - 1) + (quiet_c("c") - 1);
}
