"""The stop-word lists the analyzer drops, copied verbatim so that ``qa.text`` needs no bm25s.

Source: ``bm25s.stopwords`` (bm25s 0.3.16, https://github.com/xhluca/bm25s), MIT License,
Copyright (c) 2024 Xing Han Lu: ``STOPWORDS_FRENCH`` and ``STOPWORDS_EN_PLUS``, in their
order, unchanged. ``tests/test_lexical.py`` checks that they still equal the installed
bm25s lists, so the analyzer's tokens stay those of the index built with bm25s.
"""

from __future__ import annotations

STOPWORDS_FRENCH = (
    "ai", "aie", "aient", "aies", "ait", "as", "au", "aura", "aurai", "auraient", "aurais", "aurait",
    "auras", "aurez", "auriez", "aurions", "aurons", "auront", "aux", "avaient", "avais", "avait",
    "avec", "avez", "aviez", "avions", "avons", "ayant", "ayante", "ayantes", "ayants", "ayez", "ayons",
    "c", "ce", "ces", "d", "dans", "de", "des", "du", "elle", "en", "es", "est", "et", "eu", "eue",
    "eues", "eurent", "eus", "eusse", "eussent", "eusses", "eussiez", "eussions", "eut", "eux", "eûmes",
    "eût", "eûtes", "furent", "fus", "fusse", "fussent", "fusses", "fussiez", "fussions", "fut",
    "fûmes", "fût", "fûtes", "il", "ils", "j", "je", "l", "la", "le", "les", "leur", "lui", "m", "ma",
    "mais", "me", "mes", "moi", "mon", "même", "n", "ne", "nos", "notre", "nous", "on", "ont", "ou",
    "par", "pas", "pour", "qu", "que", "qui", "s", "sa", "se", "sera", "serai", "seraient", "serais",
    "serait", "seras", "serez", "seriez", "serions", "serons", "seront", "ses", "soient", "sois",
    "soit", "sommes", "son", "sont", "soyez", "soyons", "suis", "sur", "t", "ta", "te", "tes", "toi",
    "ton", "tu", "un", "une", "vos", "votre", "vous", "y", "à", "étaient", "étais", "était", "étant",
    "étante", "étantes", "étants", "étiez", "étions", "été", "étée", "étées", "étés", "êtes",
)

STOPWORDS_EN_PLUS = (
    "a", "about", "above", "after", "again", "against", "ain", "all", "am", "an", "and", "any", "are",
    "aren", "aren't", "as", "at", "be", "because", "been", "before", "being", "below", "between",
    "both", "but", "by", "can", "couldn", "couldn't", "d", "did", "didn", "didn't", "do", "does",
    "doesn", "doesn't", "doing", "don", "don't", "down", "during", "each", "few", "for", "from",
    "further", "had", "hadn", "hadn't", "has", "hasn", "hasn't", "have", "haven", "haven't", "having",
    "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into",
    "is", "isn", "isn't", "it", "it's", "its", "itself", "just", "ll", "m", "ma", "me", "mightn",
    "mightn't", "more", "most", "mustn", "mustn't", "my", "myself", "needn", "needn't", "no", "nor",
    "not", "now", "o", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves",
    "out", "over", "own", "re", "s", "same", "shan", "shan't", "she", "she's", "should", "should've",
    "shouldn", "shouldn't", "so", "some", "such", "t", "than", "that", "that'll", "the", "their",
    "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "through", "to",
    "too", "under", "until", "up", "ve", "very", "was", "wasn", "wasn't", "we", "were", "weren",
    "weren't", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "won",
    "won't", "wouldn", "wouldn't", "y", "you", "you'd", "you'll", "you're", "you've", "your", "yours",
    "yourself", "yourselves",
)
