/* SPDX-License-Identifier: MIT */
/*
 * Runs the fuzz target over every file in the directories (or files) given
 * as arguments, without libFuzzer: `make test` replays the committed corpus
 * under ASan and UBSan, which abort on the first finding.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long inputs;

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long len = -1;

	if (f && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		/* exactly the input's size, as libFuzzer hands it over */
		buf = malloc(len ? (size_t)len : 1);
		if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len)
			len = -1;
	}
	if (f)
		fclose(f);
	if (!f || !buf || len < 0) {
		printf("FAIL: fuzz-corpus-replay: cannot read %s: %s\n", path, strerror(errno));
		free(buf);
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	free(buf);
	inputs++;
	return 0;
}

static int replay_dir(const char *dir)
{
	struct dirent **names;
	char path[4096];
	int n, r = 0;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		printf("FAIL: fuzz-corpus-replay: cannot list %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (r == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
			r = replay_file(path);
		free(names[i]);
	}
	free(names);
	return r;
}

int main(int argc, char **argv)
{
	struct stat st;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		int r;

		if (stat(argv[i], &st) < 0) {
			printf("FAIL: fuzz-corpus-replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		r = S_ISDIR(st.st_mode) ? replay_dir(argv[i]) : replay_file(argv[i]);
		if (r < 0)
			return 1;
	}
	if (inputs == 0) {
		printf("FAIL: fuzz-corpus-replay: no inputs in the corpus\n");
		return 1;
	}
	printf("PASS: fuzz-corpus-replay (%lu inputs)\n", inputs);
	return 0;
}
