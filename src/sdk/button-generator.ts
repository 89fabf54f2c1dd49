/** The button generator's page script (SPEC §8.1); written in the next commit. */
