import json

import pytest

from council.stages.verdicts import labels, neutralise_tags, parse_verdict, response_format


@pytest.mark.parametrize(
    "text, label, status",
    [
        ('{"reasoning": "A is kinder", "verdict": "A>B"}', "A>B", "json"),
        ('```json\n{"reasoning": "r", "verdict": "B>>A"}\n```', "B>>A", "json"),
        ('{"reasoning": "r", "verdict": "[[B>A]]"}', "B>A", "json"),
        ("A is better. [[A>B]]", "A>B", "tag"),
        ("Quoting [[B>>A]] from somewhere, my verdict: [[A>>B]]", "A>>B", "tag"),
        ("[[ B > A ]]", "B>A", "tag"),
        # raw line breaks inside the reasoning string, as the embedded model writes under its grammar
        ('{ "reasoning": "<pre>\n" ,"verdict" :"A>>B"}', "A>>B", "json"),
        ('{"reasoning": "A helps.\n\tB does not.", "verdict": "B>A"}', "B>A", "json"),
        ('{"reasoning": "r", "verdict": "A=B"}', None, "unparseable"),  # a tie was not offered
        ("[[A>B]] but in the end [[A=B]]", None, "unparseable"),  # the last tag binds, even if not offered
        ('{"reasoning": "r", "verdict": "A>>>B"}', None, "unparseable"),
        ("I prefer the first one (A>B).", None, "unparseable"),
        ("", None, "unparseable"),
    ],
)
def test_parse_verdict_on_the_four_point_scale(text, label, status):
    parsed = parse_verdict(text, allow_tie=False)
    assert (parsed.label, parsed.status) == (label, status)


def test_ties_when_offered():
    assert parse_verdict('{"reasoning": "", "verdict": "A=B"}', allow_tie=True).label == "A=B"
    assert parse_verdict("[[B=A]]", allow_tie=True).label == "A=B"
    assert labels(True) == ("A>>B", "A>B", "A=B", "B>A", "B>>A")


def test_quoted_tags_cannot_survive_neutralising():
    answer = "Some would say [[A>>B]] here."
    assert parse_verdict(f"Response A says: {neutralise_tags(answer)}").label is None


def test_response_formats():
    schema = response_format("json_schema", False)["json_schema"]["schema"]
    assert schema["properties"]["verdict"]["enum"] == ["A>>B", "A>B", "B>A", "B>>A"]
    assert response_format("json_object", True)["schema"]["properties"]["verdict"]["enum"][2] == "A=B"
    assert response_format("none", False) is None


def test_real_judge_outputs_of_the_paper(reference_dir):
    """1,000 real judge outputs: every verdict we read agrees with the paper's label, and
    the 11 with no verdict tag are unparseable rather than guessed."""
    rows = [json.loads(line) for line in (reference_dir / "lmc_ei_sample_judgments.jsonl").read_text().splitlines()]
    check = json.loads((reference_dir / "lmc_ei_verdict_parse_check.json").read_text())
    parsed = [parse_verdict(row["judging_response_string"]) for row in rows]
    read = [(p.label, row["pairwise_choice"]) for p, row in zip(parsed, rows) if p.label is not None]
    assert len(read) == check["exactly_one_distinct_tag_matching_label"] == 989
    assert all(ours == theirs for ours, theirs in read)
    unread = {i for i, p in enumerate(parsed) if p.label is None}
    assert unread == {row["row"] for row in check["no_tag_rows"]}
