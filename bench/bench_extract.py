"""Speed of the statement extractor on synthetic ~500-word news articles.

    python bench/bench_extract.py                  # 200 articles, n_process 1 and 2
    python bench/bench_extract.py --articles 500 --batch-size 32

The articles are generated deterministically (seeded): narration, direct quotations with
the attribution before, after and in the middle, multi-paragraph quotations, reported
speech, "according to", pronoun and role back-references. The target is at least 20
articles per second on 2 cores.
"""

import argparse
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere

from data.extract import extract_many, load_nlp

PEOPLE = [("Maria", "Okafor", "she"), ("Daniel", "Mensah", "he"), ("Ana", "Lindqvist", "she"),
          ("Tomas", "Herrera", "he"), ("Leila", "Haddad", "she"), ("Kenji", "Sato", "he"),
          ("Amara", "Diallo", "she"), ("Pavel", "Novak", "he"), ("Sofia", "Marquez", "she"),
          ("Ibrahim", "Yusuf", "he")]
TITLES = ["Foreign Minister", "Defence Minister", "Trade Minister", "President",
          "Prime Minister", "Ambassador", "Deputy Foreign Minister"]
COUNTRIES = ["Nigeria", "Ghana", "Brazil", "Chile", "Norway", "Japan", "Senegal", "Poland",
             "Peru", "Kenya", "Vietnam", "Turkey"]
GROUPS = ["a defence ministry official", "the foreign ministry spokesman",
          "a senior diplomat", "an analyst at a Nairobi think tank", "officials in Lima",
          "the regional bloc's secretariat", "a navy spokeswoman"]
TOPICS = ["the border dispute", "the fishing accord", "the pipeline project",
          "joint naval patrols", "the ceasefire talks", "the trade agreement",
          "the water-sharing treaty", "the sanctions regime"]
CLAIMS = ["{c} is ready to resume talks on {t}", "{c} will not sign {t} in its current form",
          "the door to dialogue with {c} remains open", "there are no plans to meet {c}",
          "{c} and its neighbours will deepen cooperation on {t}",
          "the latest proposal on {t} was a step backwards",
          "talks on {t} could start once the shelling stops",
          "both sides should return to the negotiating table",
          "{c} has no intention of joining the patrols",
          "the reports of a secret pact on {t} were fabricated"]
NARRATION = ["Negotiators met for a third day in {c} on Tuesday, with little sign of progress.",
             "The dispute over {t} has soured relations across the region for more than a decade.",
             "Diplomats say the next round could take place before the end of the month.",
             "{c} recalled its ambassador last year after a series of incidents at sea.",
             "Trade between the two countries has fallen by a third since the dispute began.",
             "The talks were suspended in March after a naval standoff near the coast."]
VERBS = ["said", "told reporters", "added", "insisted", "warned", "stressed", "noted"]


def _claim(rng: random.Random) -> str:
    return rng.choice(CLAIMS).format(c=rng.choice(COUNTRIES), t=rng.choice(TOPICS))


def _sentence(claim: str) -> str:
    return claim[0].upper() + claim[1:] + "."


def build_article(rng: random.Random, words: int = 500) -> str:
    """One synthetic news article of about `words` words."""
    first, last, pronoun = rng.choice(PEOPLE)
    title = rng.choice(TITLES)
    paragraphs = [f"{title} {first} {last} said on Monday that {_claim(rng)}."]
    while sum(len(p.split()) for p in paragraphs) < words:
        kind = rng.randrange(9)
        verb = rng.choice(VERBS)
        if kind == 0:
            paragraphs.append(f"“{_sentence(_claim(rng))[:-1]},” {pronoun} {verb}.")
        elif kind == 1:
            paragraphs.append(f"“{_sentence(_claim(rng))[:-1]},” {pronoun} said, "
                              f"“and {_claim(rng)}.”")
        elif kind == 2:
            paragraphs.append(f"{last} was blunt: “{_sentence(_claim(rng))}”")
        elif kind == 3:
            group = rng.choice(GROUPS)
            paragraphs.append(f"{_sentence(_claim(rng))[:-1]}, {group} {verb}.")
        elif kind == 4:
            paragraphs.append(f"According to {rng.choice(GROUPS)}, {_claim(rng)}.")
        elif kind == 5:
            paragraphs.append(f"The minister {rng.choice(['denied', 'dismissed'])} reports "
                              f"that {_claim(rng)}.")
        elif kind == 6:
            paragraphs.append(f"“{_sentence(_claim(rng))} {_sentence(_claim(rng))}")
            paragraphs.append(f"“{_sentence(_claim(rng))}” {last} said.")
        elif kind == 7:
            paragraphs.append(f"{last} urged both sides to {rng.choice(['talk', 'refrain from violence', 'return to the table'])}"
                              f" and called for {rng.choice(['calm', 'an independent inquiry', 'new talks'])}.")
        else:
            paragraphs.append(" ".join(rng.choice(NARRATION).format(
                c=rng.choice(COUNTRIES), t=rng.choice(TOPICS)) for _ in range(2)))
    return "\n\n".join(paragraphs)


def build_articles(count: int, seed: int = 13) -> list[str]:
    """count synthetic articles, the same for the same seed."""
    rng = random.Random(seed)
    return [build_article(rng) for _ in range(count)]


def main(argv: list[str] | None = None) -> int:
    """Time extract_many for each --n-process and print articles/s and words/s."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--n-process", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    articles = build_articles(args.articles)
    words = sum(len(article.split()) for article in articles)
    load_nlp()
    list(extract_many(articles[:4]))  # warm-up: caches, first-batch allocations
    print(f"{len(articles)} articles, {words / len(articles):.0f} words each on average; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for n_process in args.n_process:
        started, cpu_started = time.perf_counter(), _cpu_seconds()
        statements = sum(len(found) for found in extract_many(
            articles, batch_size=args.batch_size, n_process=n_process))
        seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
        # CPU time per article says what the machine could do if nothing else ran on it.
        print(f"n_process={n_process}: {len(articles) / seconds:7.1f} articles/s "
              f"{words / seconds:9.0f} words/s  ({statements} statements, {seconds:.1f} s; "
              f"{1000 * cpu / len(articles):.0f} ms CPU per article)")
    return 0


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished worker processes."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    raise SystemExit(main())
