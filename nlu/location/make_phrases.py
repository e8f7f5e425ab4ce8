"""Generate the resolution evaluation set ``nlu/location/data/resolution_phrases.tsv`` (written by this project).

Spoken-style complaint sentences about places of the demo gazetteer, each in a clean form and a noisy form that
simulates speech recognition: characters of the place name replaced by common homophones (海五路 → 海伍路), and the
whole sentence spaced out character by character with punctuation dropped. Deterministic (seeded); rebuild with
``.venv/bin/python -m nlu.location.make_phrases``. Columns: id, variant (clean|noisy), text, street, kind, target.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from nlu.location.gazetteer import load_gazetteer
from nlu.location.service import DEFAULT_CITY_DIR

OUTPUT = Path(__file__).with_name("data") / "resolution_phrases.tsv"
COUNT = 240
SEED = 20261121

TEMPLATES = [
    "我要反映一下{P}有个井盖丢了", "{P}这边路灯不亮好几天了", "喂你好我在{P}这里有人乱摆摊",
    "{P}附近垃圾没人清理臭死了", "就是{P}那个位置积水很严重", "麻烦你们派人去{P}看一下有棵树倒了",
    "{P}旁边工地晚上施工太吵了", "你好我想投诉{P}有车乱停", "在{P}那里红绿灯坏了", "{P}的下水道堵了",
    "我住在{P}附近每天晚上广场舞很吵", "{P}门口有个大坑", "嗯那个{P}对面有人违章搭建",
    "{P}那边的公交站牌被撞坏了", "请问{P}这里的路面破损什么时候修", "我刚路过{P}发现有电线掉下来了",
    "{P}有人在烧垃圾烟很大", "那个{P}的井盖响得很厉害", "{P}一带的下水道反味", "就在{P}有辆共享单车堆了一堆",
]
# Common same-sound (or near-sound) characters a recogniser writes instead.
HOMOPHONES = {
    "桂": "贵", "城": "成", "澜": "兰", "五": "伍", "六": "陆", "八": "巴", "七": "期", "灯": "登", "湖": "胡",
    "道": "到", "东": "冬", "西": "希", "和": "河", "平": "评", "天": "添", "佑": "右", "石": "十", "肯": "恳",
    "叠": "蝶", "广": "光", "场": "厂", "园": "元", "千": "迁", "映": "影", "月": "越", "翠": "脆", "约": "月",
    "夏": "下", "北": "贝", "江": "将", "镇": "振", "樵": "桥", "丹": "单", "灶": "造", "狮": "诗", "沥": "力",
    "里": "理", "器": "气", "玉": "遇", "舟": "洲", "梦": "孟", "乡": "香", "人": "仁", "达": "大", "医": "依",
    "院": "远", "四": "寺", "三": "叁", "南": "男", "约社": "月社", "府": "腐", "铁": "贴", "站": "占",
}


def _crossings(roads):
    pairs = []
    for i, a in enumerate(roads):
        for b in roads[i + 1:]:
            if a.street == b.street and a.geometry.intersects(b.geometry):
                pairs.append((a, b))
    return pairs


def _place_phrase(rng: random.Random, gaz) -> tuple[str, str, str, str]:
    """(phrase, street, kind, target)."""
    roads = [e for e in gaz.entries if e.kind == "road"]
    pois = [e for e in gaz.entries if e.kind == "poi"]
    streets = {e.name: e for e in gaz.entries if e.kind == "street"}
    roll = rng.random()
    if roll < 0.45:
        road = rng.choice(roads)
        street = streets[road.street]
        name = rng.choice([road.name, road.name, *road.aliases]) if road.aliases else road.name
        form = rng.choice(["{r}", "{s}{r}", "{sa}{r}", "{r}{n}号", "南海区{s}{r}", "{s}的{r}"])
        if len(gaz.named(road.name, "road")) > 1 and "{s" not in form:
            form = "{s}" + form  # same-named roads: a caller naming only the road is asked, not scored here
        sa = street.aliases[0] if street.aliases else street.name
        return form.format(r=name, s=street.name, sa=sa, n=rng.randint(1, 200)), road.street, "road", road.name
    if roll < 0.80:
        poi = rng.choice(pois)
        name = rng.choice([poi.name, *poi.aliases])
        form = rng.choice(["{p}", "{p}", "{s}{p}", "{p}那边"])
        return form.format(p=name, s=poi.street), poi.street, "poi", poi.name
    a, b = rng.choice(_crossings(roads))
    if rng.random() < 0.5:
        a, b = b, a
    form = rng.choice(["{a}和{b}交界", "{a}与{b}路口", "{a}{b}交叉口", "{a}跟{b}十字路口"])
    return form.format(a=a.name, b=b.name), a.street, "intersection", f"{a.name}与{b.name}"


def _noisy(text: str, phrase: str, rng: random.Random) -> str:
    """Replace one or two characters of the place phrase by homophones, then space everything out."""
    chars = list(phrase)
    positions = [i for i, ch in enumerate(chars) if ch in HOMOPHONES]
    for i in rng.sample(positions, k=min(len(positions), rng.choice([1, 1, 2]))):
        chars[i] = HOMOPHONES[chars[i]]
    noisy = text.replace(phrase, "".join(chars), 1)
    return " ".join(ch for ch in noisy if ch not in "，。、？！,.?!")


def main() -> None:
    gaz = load_gazetteer(DEFAULT_CITY_DIR / "gazetteer.yaml")
    rng = random.Random(SEED)
    rows = []
    for i in range(COUNT):
        phrase, street, kind, target = _place_phrase(rng, gaz)
        text = rng.choice(TEMPLATES).replace("{P}", phrase)
        rows.append((f"p{i:03d}", "clean", text, street, kind, target))
        rows.append((f"p{i:03d}", "noisy", _noisy(text, phrase, rng), street, kind, target))
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with OUTPUT.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter="\t", lineterminator="\n")
        writer.writerow(["id", "variant", "text", "street", "kind", "target"])
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {OUTPUT}")


if __name__ == "__main__":
    main()
