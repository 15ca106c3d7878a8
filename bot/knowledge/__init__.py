"""Policy knowledge: sources (verbatim documents, citation checks), curated rules,
and the "Can I do this?" engine. Import from the submodules:

    from bot.knowledge.sources import load_sources, check_citation, Citation, normalise
    from bot.knowledge.engine import get_engine, Answer
"""
