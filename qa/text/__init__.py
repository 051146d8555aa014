"""The pure text layer: functions of strings only, no I/O, no web or ML library.

* ``normalise``   apostrophes (’ is '), accents, blank characters, digit groups
* ``analyzer``    the French/English analyzer: text -> stemmed index terms (PyStemmer)
* ``stopwords``   the stop-word lists the analyzer drops (copied from bm25s, MIT)
* ``paragraphs``  the one paragraph numbering of citations
* ``sentences``   the one sentence splitter
* ``tokens``      token counting without a model
* ``mentions``    patterns of months, weekdays, number words and names
* ``answer_types`` what a question asks for (number, date, name), whether a text holds it

Importing anything under ``qa.text`` must stay cheap: it pulls in no Flask, FAISS,
torch, sentence-transformers or bm25s (``tests/test_text_layer.py`` checks it).
"""
