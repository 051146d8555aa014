"""The pure text layer: functions of strings only, no I/O, no web or ML library.

Importing anything under ``qa.text`` must stay cheap: it pulls in no Flask, FAISS,
torch, sentence-transformers or bm25s (``tests/test_text_layer.py`` checks it).
"""
