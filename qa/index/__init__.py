"""The index: build it, publish it, load it.

* ``build``   articles -> passages, vectors, BM25, sentences, alignment; incremental reuse
* ``embed``   the build's embedding step (texts in, vectors out), one progress bar per stage
* ``layout``  each file of a build, with its writer and reader; the manifest; checksums
* ``publish`` the build lock, staging, the atomic swap of ``current``, pruning
* ``load``    the reading side: load the current build and check it (what search needs)
* ``status``  staleness: do the manifest's hashes and model still match the seeds?
* ``store``   the only faiss import

Importing this package imports none of them: ``qa.search`` takes only ``qa.index.load``.
"""
