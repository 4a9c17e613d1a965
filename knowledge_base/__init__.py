"""Knowledge base: sources → documents → chunks → index (Chroma + BM25) + manifest."""
