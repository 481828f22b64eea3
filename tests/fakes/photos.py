"""Photos of invented business licences and ID cards (front and back), drawn with Pillow and
the installed CJK font, clean and degraded as phone photos are (rotation, blur, JPEG 50,
perspective, uneven light). The tests use a few; bench/bench_ocr.py measures many."""

from __future__ import annotations

import io
import random
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from PIL import Image, ImageDraw, ImageFilter, ImageFont
from stdnum.cn import ric, uscc

from rules.photo_fields import Kind

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文辉力"
_PLACES = [
    ("350102", "福建省福州市鼓楼区"),
    ("110105", "北京市朝阳区"),
    ("310104", "上海市徐汇区"),
    ("440305", "广东省深圳市南山区"),
    ("330106", "浙江省杭州市西湖区"),
    ("510107", "四川省成都市武侯区"),
    ("420106", "湖北省武汉市武昌区"),
]
_ROADS = ["五四路", "建设大道", "人民路", "科技园南路", "文三路", "天府大道", "中山北路", "和平街"]
_WORDS = ["云帆", "星河", "启明", "远航", "青禾", "海纳", "百川", "锦程", "新程", "易达"]
_TRADES = ["网络科技", "信息技术", "软件开发", "数据服务", "文化传媒", "电子商务"]
_TYPES = [
    "有限责任公司（自然人投资或控股）",
    "有限责任公司（自然人独资）",
    "股份有限公司（非上市）",
]
_ETHNICITIES = ["汉", "汉", "汉", "回", "满", "壮", "苗", "蒙古"]
_USCC_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@dataclass(frozen=True)
class Sample:
    """An image and the fields printed on it."""

    kind: Kind
    fields: dict[str, str]
    image: Image.Image
    name: str  # e.g. "licence-3-clean"

    def png(self) -> bytes:
        out = io.BytesIO()
        self.image.save(out, format="PNG")
        return out.getvalue()

    def jpeg(self, quality: int = 90) -> bytes:
        out = io.BytesIO()
        self.image.convert("RGB").save(out, format="JPEG", quality=quality)
        return out.getvalue()


@cache
def font_path() -> str:
    """Return the file of the documents' Chinese font (WenQuanYi Micro Hei)."""
    out = subprocess.run(
        ["fc-list", "WenQuanYi Micro Hei", "file"], capture_output=True, text=True, check=False
    ).stdout
    return out.splitlines()[0].split(":")[0]


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path(), size)


def _person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.randint(1, 2)))


def _address(rng: random.Random, region: str) -> str:
    return f"{region}{rng.choice(_ROADS)}{rng.randint(1, 300)}号{rng.randint(1, 30)}层"


def licence_fields(rng: random.Random) -> dict[str, str]:
    """Invent a licence's fields (a credit code whose check character validates)."""
    code, region = rng.choice(_PLACES)
    body = "91" + code + "".join(rng.choice(_USCC_BODY) for _ in range(9))
    year, month, day = rng.randint(2005, 2025), rng.randint(1, 12), rng.randint(1, 28)
    return {
        "uscc": body + uscc.calc_check_digit(body),
        "name": f"{region[:2]}{rng.choice(_WORDS)}{rng.choice(_TRADES)}有限公司",
        "type": rng.choice(_TYPES),
        "legal_representative": _person(rng),
        "address": _address(rng, region),
        "established": f"{year:04d}-{month:02d}-{day:02d}",
    }


def id_fields(rng: random.Random) -> dict[str, str]:
    """Invent an ID card's front (a number whose check digit validates)."""
    code, region = rng.choice(_PLACES)
    year, month, day = rng.randint(1950, 2004), rng.randint(1, 12), rng.randint(1, 28)
    body = f"{code}{year:04d}{month:02d}{day:02d}{rng.randint(0, 999):03d}"
    sex = "男" if int(body[16]) % 2 else "女"
    return {
        "name": _person(rng),
        "sex": sex,
        "ethnicity": rng.choice(_ETHNICITIES),
        "birth": f"{year:04d}-{month:02d}-{day:02d}",
        "address": _address(rng, region),
        "id_number": body + ric.calc_check_digit(body + "0"),  # it drops the last character
    }


def id_back_fields(rng: random.Random) -> dict[str, str]:
    """Invent an ID card's back: the police office that issued it, and its validity (10 or 20
    years to the day, 5 for the young, or 长期)."""
    import re

    _, region = rng.choice(_PLACES)
    city, district = re.fullmatch(r"(?:.+?省)?(.+?市)(.+?)区", region).groups()  # type: ignore[union-attr]
    year, month, day = rng.randint(2006, 2025), rng.randint(1, 12), rng.randint(1, 28)
    years = rng.choice((5, 10, 10, 20, 20, 0))
    start = f"{year:04d}-{month:02d}-{day:02d}"
    return {
        "issuer": f"{city}公安局{district}分局",
        "valid_from": start,
        "valid_until": f"{year + years:04d}{start[4:]}" if years else "长期",
    }


def _chinese_date(iso: str, spaced: bool = False) -> str:
    y, m, d = (int(p) for p in iso.split("-"))
    return f"{y} 年 {m} 月 {d} 日" if spaced else f"{y}年{m:02d}月{d:02d}日"


def draw_licence(fields: dict[str, str]) -> Image.Image:
    """Draw a licence's front: title, the code, and the labelled rows."""
    image = Image.new("RGB", (1600, 1150), (250, 246, 238))
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 30, 1570, 1120), outline=(170, 60, 40), width=8)
    draw.text((640, 80), "营 业 执 照", font=_font(72), fill=(170, 40, 30))
    draw.text((110, 230), f"统一社会信用代码  {fields['uscc']}", font=_font(34), fill=(20, 20, 20))
    rows = [
        ("名        称", fields["name"]),
        ("类        型", fields["type"]),
        ("法定代表人", fields["legal_representative"]),
        ("注册资本", "壹佰万元整"),
        ("成立日期", _chinese_date(fields["established"])),
        ("住        所", fields["address"]),
    ]
    for i, (label, value) in enumerate(rows):
        y = 340 + i * 95
        draw.text((110, y), label, font=_font(36), fill=(20, 20, 20))
        draw.text((420, y), value, font=_font(36), fill=(20, 20, 20))
    draw.text((1000, 1000), "登记机关", font=_font(30), fill=(20, 20, 20))
    return image


def _wrapped(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)]


def draw_licence_two_columns(fields: dict[str, str]) -> Image.Image:
    """Draw a licence as issued since 2014: the code top left, two columns of rows."""
    image = Image.new("RGB", (1700, 1150), (250, 246, 238))
    draw = ImageDraw.Draw(image)
    ink = (20, 20, 20)
    draw.rectangle((30, 30, 1670, 1120), outline=(170, 60, 40), width=8)
    draw.text((690, 80), "营 业 执 照", font=_font(72), fill=(170, 40, 30))
    draw.text((90, 190), "统一社会信用代码", font=_font(28), fill=ink)
    draw.text((90, 232), fields["uscc"], font=_font(32), fill=ink)
    left = [
        ("名        称", [fields["name"]]),
        ("类        型", [fields["type"]]),
        ("法定代表人", [fields["legal_representative"]]),
        ("经营范围", _wrapped("软件开发；信息技术咨询服务；数据处理服务。", 14)),
    ]
    right = [
        ("注册资本", ["壹佰万元整"]),
        ("成立日期", [_chinese_date(fields["established"])]),
        ("营业期限", ["长期"]),
        ("住        所", _wrapped(fields["address"], 15)),
    ]
    for column, (label_x, value_x) in ((left, (90, 290)), (right, (930, 1120))):
        for i, (label, values) in enumerate(column):
            y = 360 + i * 110
            draw.text((label_x, y), label, font=_font(30), fill=ink)
            for j, value in enumerate(values):
                draw.text((value_x, y + j * 46), value, font=_font(30), fill=ink)
    draw.text((1150, 1010), "登记机关", font=_font(28), fill=ink)
    return image


def draw_id_card(fields: dict[str, str]) -> Image.Image:
    """Draw an ID card's front (the photo side, without a portrait)."""
    image = Image.new("RGB", (1100, 700), (226, 236, 242))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((10, 10, 1090, 690), radius=40, outline=(150, 170, 190), width=4)
    label, value = (90, 120, 140), (10, 10, 10)
    draw.text((70, 70), "姓 名", font=_font(32), fill=label)
    draw.text((200, 66), fields["name"], font=_font(40), fill=value)
    draw.text((70, 160), "性 别", font=_font(32), fill=label)
    draw.text((200, 158), fields["sex"], font=_font(36), fill=value)
    draw.text((330, 160), "民 族", font=_font(32), fill=label)
    draw.text((460, 158), fields["ethnicity"], font=_font(36), fill=value)
    draw.text((70, 250), "出 生", font=_font(32), fill=label)
    draw.text((200, 248), _chinese_date(fields["birth"], spaced=True), font=_font(36), fill=value)
    draw.text((70, 340), "住 址", font=_font(32), fill=label)
    address = fields["address"]
    for i in range(0, len(address), 13):
        draw.text((200, 338 + (i // 13) * 52), address[i : i + 13], font=_font(36), fill=value)
    draw.text((70, 580), "公民身份号码", font=_font(32), fill=label)
    draw.text((330, 574), fields["id_number"], font=_font(42), fill=value)
    draw.rectangle((760, 90, 1040, 440), fill=(200, 210, 220))  # where the portrait is
    return image


def draw_id_card_back(fields: dict[str, str]) -> Image.Image:
    """Draw an ID card's back (国徽面): the emblem's place, the title, issuer and validity."""
    image = Image.new("RGB", (1100, 700), (226, 236, 242))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((10, 10, 1090, 690), radius=40, outline=(150, 170, 190), width=4)
    draw.ellipse((70, 60, 250, 240), fill=(200, 60, 50))  # where the national emblem is
    draw.text((330, 90), "中华人民共和国", font=_font(56), fill=(20, 20, 20))
    draw.text((290, 210), "居 民 身 份 证", font=_font(80), fill=(20, 20, 20))
    label, value = (40, 40, 40), (10, 10, 10)
    draw.text((230, 480), "签发机关", font=_font(32), fill=label)
    draw.text((410, 478), fields["issuer"], font=_font(34), fill=value)
    draw.text((230, 570), "有效期限", font=_font(32), fill=label)
    until = fields["valid_until"].replace("-", ".")
    validity = f"{fields['valid_from'].replace('-', '.')}-{until}"
    draw.text((410, 568), validity, font=_font(34), fill=value)
    return image


# --- the ways a phone photo differs from a scan ------------------------------------------------


def rotated(image: Image.Image, rng: random.Random) -> Image.Image:
    angle = rng.choice((-1, 1)) * rng.uniform(3, 8)
    return image.rotate(angle, expand=True, fillcolor=(120, 110, 100), resample=Image.BICUBIC)


def blurred(image: Image.Image, rng: random.Random) -> Image.Image:
    return image.filter(ImageFilter.GaussianBlur(rng.uniform(1.2, 2.0)))


def jpeg50(image: Image.Image, rng: random.Random) -> Image.Image:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=50)
    return Image.open(io.BytesIO(out.getvalue())).convert("RGB")


def perspective(image: Image.Image, rng: random.Random) -> Image.Image:
    w, h = image.size
    d = rng.uniform(0.05, 0.10)
    # The far edge is narrower: a photo taken from below the document's middle (the source
    # quadrilateral is wider than the image at the top: nothing of the document is cut).
    quad = (-w * d, 0, 0, h, w, h, w * (1 + d), 0)
    return image.transform(
        (w, h), Image.QUAD, quad, resample=Image.BICUBIC, fillcolor=(120, 110, 100)
    )


def uneven_light(image: Image.Image, rng: random.Random) -> Image.Image:
    w, h = image.size
    gradient = Image.linear_gradient("L").rotate(rng.choice((0, 90, 180, 270))).resize((w, h))
    shade = gradient.point(lambda v: int(110 + v * 145 / 255))  # from 43% to full light
    dark = Image.merge("RGB", (shade, shade, shade))
    from PIL import ImageChops

    return ImageChops.multiply(image.convert("RGB"), dark)


def phone_photo(image: Image.Image, rng: random.Random) -> Image.Image:
    """All at once, as a hurried phone photo: tilted, in perspective, unevenly lit, blurred,
    compressed."""
    for step in (rotated, perspective, uneven_light, blurred, jpeg50):
        image = step(image, rng)
    return image


DEGRADATIONS: dict[str, Callable[[Image.Image, random.Random], Image.Image]] = {
    "rotation": rotated,
    "blur": blurred,
    "jpeg50": jpeg50,
    "perspective": perspective,
    "uneven_light": uneven_light,
}
# The benchmark's set adds the combination; the tests keep to one degradation at a time.
BENCH_DEGRADATIONS = {**DEGRADATIONS, "combined": phone_photo}


def samples(
    kind: Kind, count: int, seed: int = 30, degradations: tuple[str, ...] = ()
) -> list[Sample]:
    """Return `count` clean samples of `kind`, and for each one a copy per degradation."""
    rng = random.Random(f"{kind}-{seed}")
    out: list[Sample] = []
    for i in range(count):
        if kind == "business_license":  # the two layouts in turn
            fields = licence_fields(rng)
            image = (draw_licence, draw_licence_two_columns)[i % 2](fields)
        elif kind == "id_card":
            fields = id_fields(rng)
            image = draw_id_card(fields)
        else:
            fields = id_back_fields(rng)
            image = draw_id_card_back(fields)
        out.append(Sample(kind, fields, image, f"{kind}-{i}-clean"))
        for name in degradations:
            degrade = BENCH_DEGRADATIONS[name]
            out.append(Sample(kind, fields, degrade(image, rng), f"{kind}-{i}-{name}"))
    return out
