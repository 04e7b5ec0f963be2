"""Static tables behind the Bắc Kạn sample and the synthetic catalog.

The only public facts here are the six producers in REAL_PRODUCERS (names, and the
addresses not marked "made up"), the producer counts, the district and commune names and
the 2025 merger; examples/bac-kan/README.md lists them with sources. Every other name,
number and date (kinds' prices, decision rounds, the two extra firms) is made up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sync.ocop import ProducerKind

PROVINCE = "Bắc Kạn"
CURRENT_PROVINCE = "Thái Nguyên"  # public: Bắc Kạn merged into Thái Nguyên on 1 Jul 2025

FOOD = "Thực phẩm"
DRINK = "Đồ uống"
HERBAL = "Dược liệu và sản phẩm từ dược liệu"
CRAFT = "Hàng thủ công mỹ nghệ"

# Decision 148 subdivides "Thực phẩm" into these sets (nhóm); other sets are left empty
# rather than guessed.
FRESH = "Thực phẩm tươi sống"
RAW = "Thực phẩm thô, sơ chế"
PROCESSED = "Thực phẩm chế biến"
ALCOHOL = "Đồ uống có cồn"
SOFT_DRINK = "Đồ uống không cồn"


@dataclass(frozen=True)
class VariantSpec:
    """One package size of a product kind, with a base price in đồng."""

    suffix: str  # variant SKU suffix, e.g. "500G"
    label: str  # Vietnamese label, e.g. "gói 500 g"
    quantity: str
    unit: str
    packaging: str
    price: int
    weight_g: int  # shipping weight, packaging included


@dataclass(frozen=True)
class KindSpec:
    """A kind of OCOP product (miến dong, mật ong rừng…) and how to describe it."""

    code: str  # SKU part
    name: str
    name_en: str | None  # "{brand}" is replaced by the product's brand
    group: str  # Decision 148 group
    product_set: str | None
    family: str  # producers add further products from the same family first
    variants: tuple[VariantSpec, ...]
    shelf_life_days: int | None
    ingredients: str | None
    blurb: str
    activity: str  # what a cooperative group does, for its name
    tags: tuple[str, ...]
    weight: int  # how common the kind is among the 182
    extra_standards: tuple[str, ...] = ()
    enterprise_only: bool = False
    fresh: bool = False


def _v(suffix: str, label: str, qty: str, unit: str, pack: str, price: int, w: int) -> VariantSpec:
    return VariantSpec(suffix, label, qty, unit, pack, price, w)


_BAG = "túi PE hút chân không"
_JAR = "hũ thủy tinh"
_BOTTLE = "chai thủy tinh"
_BOX = "hộp giấy kraft"

# The tables below are laid out by hand for reading; keep the formatter off them.
# fmt: off
KINDS: tuple[KindSpec, ...] = (
    KindSpec(
        "MIEN", "Miến dong", "{brand} arrowroot glass noodles", FOOD, PROCESSED, "dong",
        (_v("500G", "gói 500 g", "500", "g", _BAG, 55_000, 560),
         _v("1KG", "gói 1 kg", "1", "kg", _BAG, 100_000, 1_080)),
        365, "Tinh bột dong riềng đỏ 100%",
        "Sợi miến dai, trong, làm từ tinh bột dong riềng đỏ trồng trên nương, phơi nắng "
        "tự nhiên, không dùng chất tẩy trắng.",
        "sản xuất miến dong", ("miến dong", "đặc sản Bắc Kạn"), 14,
    ),
    KindSpec(
        "BUN", "Bún khô", "{brand} dried rice vermicelli", FOOD, PROCESSED, "dong",
        (_v("500G", "gói 500 g", "500", "g", _BAG, 32_000, 540),
         _v("1KG", "gói 1 kg", "1", "kg", _BAG, 60_000, 1_060)),
        270, "Gạo tẻ địa phương, nước",
        "Bún làm từ gạo tẻ địa phương, tráng và phơi khô, nấu nhanh, sợi mềm không nát.",
        "sản xuất bún khô", ("bún khô",), 8,
    ),
    KindSpec(
        "PHO", "Phở khô", "{brand} dried pho noodles", FOOD, PROCESSED, "dong",
        (_v("500G", "gói 500 g", "500", "g", _BAG, 36_000, 540),
         _v("1KG", "gói 1 kg", "1", "kg", _BAG, 68_000, 1_060)),
        270, "Gạo tẻ địa phương, nước",
        "Bánh phở tráng mỏng từ gạo tẻ, sấy khô giữ được vị thơm của gạo mới.",
        "sản xuất phở khô", ("phở khô",), 7,
    ),
    KindSpec(
        "BOTDONG", "Tinh bột dong riềng", "{brand} arrowroot starch", FOOD, RAW, "dong",
        (_v("1KG", "gói 1 kg", "1", "kg", _BAG, 65_000, 1_060),),
        365, "Củ dong riềng đỏ",
        "Tinh bột lọc nhiều lần từ củ dong riềng đỏ, trắng mịn, dùng nấu chè, làm bánh.",
        "chế biến dong riềng", ("dong riềng",), 3,
    ),
    KindSpec(
        "GAOBT", "Gạo Bao Thai", "{brand} Bao Thai rice", FOOD, RAW, "gao",
        (_v("2KG", "túi 2 kg", "2", "kg", _BAG, 60_000, 2_050),
         _v("5KG", "túi 5 kg", "5", "kg", _BAG, 145_000, 5_100)),
        365, "Gạo Bao Thai",
        "Gạo Bao Thai trồng ruộng bậc thang, hạt nhỏ, cơm dẻo và thơm.",
        "sản xuất lúa gạo", ("gạo", "Bao Thai"), 6, ("VietGAP",),
    ),
    KindSpec(
        "NEP", "Gạo nếp", "{brand} glutinous rice", FOOD, RAW, "gao",
        (_v("2KG", "túi 2 kg", "2", "kg", _BAG, 80_000, 2_050),
         _v("5KG", "túi 5 kg", "5", "kg", _BAG, 190_000, 5_100)),
        365, "Gạo nếp địa phương",
        "Nếp nương hạt tròn, đồ xôi dẻo thơm, dùng gói bánh chưng và nấu rượu.",
        "sản xuất lúa nếp", ("gạo nếp",), 5, ("VietGAP",),
    ),
    KindSpec(
        "BANHKHAO", "Bánh khảo", "{brand} Tay rice cake", FOOD, PROCESSED, "gao",
        (_v("300G", "hộp 300 g", "300", "g", _BOX, 45_000, 380),),
        180, "Bột gạo nếp rang, đường, mỡ lợn",
        "Bánh khảo truyền thống của người Tày, làm từ bột nếp rang, dùng trong dịp Tết.",
        "làm bánh truyền thống", ("bánh truyền thống", "người Tày"), 3,
    ),
    KindSpec(
        "MATONG", "Mật ong rừng", "{brand} wild forest honey", FOOD, RAW, "ong",
        (_v("500ML", "chai 500 ml", "500", "ml", _BOTTLE, 280_000, 900),
         _v("1L", "chai 1 l", "1", "l", _BOTTLE, 520_000, 1_650)),
        730, "Mật ong nguyên chất 100%",
        "Mật ong của đàn ong nuôi dưới tán rừng tự nhiên, màu hổ phách, vị ngọt thanh.",
        "nuôi ong lấy mật", ("mật ong",), 10,
    ),
    KindSpec(
        "NGHEMATONG", "Nghệ ngâm mật ong", "{brand} turmeric in honey", FOOD, PROCESSED, "ong",
        (_v("300G", "hũ 300 g", "300", "g", _JAR, 150_000, 500),),
        365, "Tinh bột nghệ, mật ong",
        "Tinh bột nghệ ngâm mật ong rừng, dùng pha nước ấm hoặc ăn trực tiếp.",
        "chế biến nghệ và mật ong", ("mật ong", "nghệ"), 3,
    ),
    KindSpec(
        "TINHNGHE", "Tinh bột nghệ", "{brand} turmeric starch", FOOD, PROCESSED, "nghe",
        (_v("200G", "hũ 200 g", "200", "g", _JAR, 150_000, 330),
         _v("500G", "hũ 500 g", "500", "g", _JAR, 340_000, 680)),
        540, "Củ nghệ vàng",
        "Tinh bột nghệ lọc từ nghệ vàng trồng tại địa phương, đã tách dầu, mịn và thơm.",
        "chế biến nghệ", ("nghệ", "tinh nghệ"), 5,
    ),
    KindSpec(
        "CURCUMIN", "Curcumin", "{brand} curcumin", HERBAL, None, "nghe",
        (_v("30V", "hộp 30 viên", "30", "piece", "hộp giấy, vỉ nhôm", 280_000, 120),
         _v("60V", "hộp 60 viên", "60", "piece", "hộp giấy, vỉ nhôm", 520_000, 180)),
        730, "Curcumin chiết xuất từ củ nghệ vàng, tá dược vừa đủ",
        "Thực phẩm bảo vệ sức khỏe chứa curcumin chiết xuất từ nghệ vàng Bắc Kạn.",
        "chiết xuất curcumin", ("curcumin", "nghệ"), 2, ("HACCP",), enterprise_only=True,
    ),
    KindSpec(
        "NANO", "Nano curcumin", "{brand} nano curcumin", HERBAL, None, "nghe",
        (_v("30V", "hộp 30 viên", "30", "piece", "hộp giấy, vỉ nhôm", 390_000, 120),
         _v("60V", "lọ 60 viên", "60", "piece", "lọ nhựa PET", 740_000, 190)),
        730, "Nano curcumin, tá dược vừa đủ",
        "Thực phẩm bảo vệ sức khỏe chứa curcumin ở dạng hạt nano, dễ hấp thu.",
        "chiết xuất curcumin", ("nano curcumin", "nghệ"), 2, ("HACCP",),
        enterprise_only=True,
    ),
    KindSpec(
        "CHESHAN", "Chè Shan tuyết", "{brand} Shan Tuyet tea", FOOD, None, "che",
        (_v("100G", "hộp 100 g", "100", "g", _BOX, 110_000, 220),
         _v("200G", "hộp 200 g", "200", "g", _BOX, 210_000, 360),
         _v("500G", "gói 500 g", "500", "g", _BAG, 480_000, 600)),
        540, "Búp chè Shan tuyết",
        "Búp chè Shan tuyết cổ thụ hái một tôm hai lá, sao bằng chảo gang, nước vàng sánh.",
        "sản xuất chè", ("chè Shan tuyết", "trà"), 7, ("VietGAP", "hữu cơ TCVN 11041"),
    ),
    KindSpec(
        "TRATUILOC", "Trà xanh túi lọc", "{brand} green tea bags", FOOD, None, "che",
        (_v("25T", "hộp 25 túi lọc", "25", "piece", _BOX, 65_000, 150),),
        540, "Chè xanh",
        "Trà xanh nghiền đóng túi lọc 2 g, pha nhanh, tiện mang theo.",
        "sản xuất chè", ("trà túi lọc", "trà"), 4,
    ),
    KindSpec(
        "MUOPDANG", "Trà mướp đắng rừng", "{brand} wild bitter melon tea", HERBAL, None, "thao",
        (_v("100G", "hộp 100 g", "100", "g", _BOX, 85_000, 200),
         _v("250G", "gói 250 g", "250", "g", _BAG, 180_000, 320)),
        540, "Quả mướp đắng rừng thái lát sấy khô",
        "Mướp đắng rừng thái lát, sấy lạnh giữ màu, vị đắng nhẹ, hậu ngọt.",
        "trồng và chế biến dược liệu", ("trà thảo dược", "mướp đắng"), 5,
    ),
    KindSpec(
        "TRACAGAILEO", "Trà cà gai leo", "{brand} ca gai leo herbal tea", HERBAL, None, "thao",
        (_v("200G", "hộp 200 g", "200", "g", _BOX, 95_000, 300),
         _v("500G", "gói 500 g", "500", "g", _BAG, 210_000, 600)),
        540, "Thân, lá cà gai leo sấy khô",
        "Cà gai leo trồng theo hướng hữu cơ, thái nhỏ và sấy khô, dùng hãm nước uống.",
        "trồng và chế biến dược liệu", ("trà thảo dược", "cà gai leo"), 4,
    ),
    KindSpec(
        "CAOCAGAILEO", "Cao cà gai leo", "{brand} ca gai leo extract", HERBAL, None, "thao",
        (_v("100G", "hũ 100 g", "100", "g", _JAR, 250_000, 220),
         _v("200G", "hũ 200 g", "200", "g", _JAR, 460_000, 360)),
        730, "Cao đặc cà gai leo",
        "Cao đặc nấu từ cà gai leo trồng tại địa phương, pha với nước ấm để uống.",
        "trồng và chế biến dược liệu", ("cao dược liệu", "cà gai leo"), 3,
    ),
    KindSpec(
        "GIAOCOLAM", "Trà giảo cổ lam", "{brand} jiaogulan tea", HERBAL, None, "thao",
        (_v("200G", "hộp 200 g", "200", "g", _BOX, 120_000, 300),),
        540, "Giảo cổ lam sấy khô",
        "Giảo cổ lam năm lá trồng dưới tán rừng, sấy khô, dùng hãm như trà.",
        "trồng và chế biến dược liệu", ("trà thảo dược", "giảo cổ lam"), 4,
    ),
    KindSpec(
        "CUMAI", "Củ mài thái lát", "{brand} dried wild yam slices", HERBAL, None, "thao",
        (_v("500G", "gói 500 g", "500", "g", _BAG, 150_000, 560),),
        365, "Củ mài núi",
        "Củ mài núi đào trên đồi, gọt vỏ, thái lát và sấy khô; dùng nấu cháo, hầm canh.",
        "trồng và chế biến dược liệu", ("củ mài", "dược liệu"), 2,
    ),
    KindSpec(
        "LAPSUON", "Lạp sườn hun khói", "{brand} smoked sausage", FOOD, PROCESSED, "thit",
        (_v("500G", "gói 500 g", "500", "g", _BAG, 170_000, 560),
         _v("1KG", "gói 1 kg", "1", "kg", _BAG, 330_000, 1_080)),
        180, "Thịt lợn, mắc khén, rượu trắng, muối, đường",
        "Lạp sườn làm từ thịt lợn địa phương, ướp mắc khén và hun khói trên gác bếp.",
        "chế biến thịt hun khói", ("lạp sườn", "gác bếp"), 8,
    ),
    KindSpec(
        "TRAUGACBEP", "Thịt trâu gác bếp", "{brand} smoked buffalo jerky", FOOD, PROCESSED,
        "thit",
        (_v("250G", "gói 250 g", "250", "g", _BAG, 290_000, 300),
         _v("500G", "gói 500 g", "500", "g", _BAG, 560_000, 560)),
        180, "Thịt trâu, mắc khén, gừng, ớt, muối",
        "Thịt trâu thái thớ, tẩm gia vị núi rừng và hun khói trên gác bếp nhiều ngày.",
        "chế biến thịt hun khói", ("thịt trâu", "gác bếp"), 7,
    ),
    KindSpec(
        "LONGACBEP", "Thịt lợn gác bếp", "{brand} smoked pork", FOOD, PROCESSED, "thit",
        (_v("500G", "gói 500 g", "500", "g", _BAG, 260_000, 560),),
        180, "Thịt lợn, mắc khén, muối",
        "Thịt lợn ba chỉ ướp mắc khén, hun khói trên gác bếp theo cách của người Tày.",
        "chế biến thịt hun khói", ("thịt lợn", "gác bếp"), 5,
    ),
    KindSpec(
        "HONG", "Hồng không hạt", "{brand} seedless persimmons", FOOD, FRESH, "qua",
        (_v("2KG", "hộp 2 kg", "2", "kg", "hộp carton", 90_000, 2_300),
         _v("5KG", "thùng 5 kg", "5", "kg", "thùng carton", 210_000, 5_500)),
        15, None,
        "Hồng không hạt chín cây, giòn ngọt, thu hoạch theo mùa (tháng 9 đến tháng 11).",
        "trồng hồng không hạt", ("hồng không hạt", "trái cây"), 5, ("VietGAP",), fresh=True,
    ),
    KindSpec(
        "HONGSAY", "Hồng sấy dẻo", "{brand} dried persimmons", FOOD, PROCESSED, "qua",
        (_v("500G", "hộp 500 g", "500", "g", _BOX, 160_000, 600),),
        180, "Hồng không hạt",
        "Hồng không hạt gọt vỏ, sấy dẻo, giữ vị ngọt tự nhiên, không thêm đường.",
        "trồng và chế biến hồng", ("hồng sấy", "trái cây"), 3,
    ),
    KindSpec(
        "QUYT", "Quýt", "{brand} mandarins", FOOD, FRESH, "qua",
        (_v("5KG", "thùng 5 kg", "5", "kg", "thùng carton", 200_000, 5_500),),
        20, None,
        "Quýt vỏ vàng, mọng nước, vị chua ngọt, thu hoạch từ tháng 11 đến Tết.",
        "trồng cam quýt", ("quýt", "trái cây"), 4, ("VietGAP",), fresh=True,
    ),
    KindSpec(
        "SIROMO", "Siro mơ", "{brand} apricot syrup", DRINK, SOFT_DRINK, "qua",
        (_v("500ML", "chai 500 ml", "500", "ml", _BOTTLE, 85_000, 900),),
        365, "Quả mơ, đường kính",
        "Siro ngâm từ quả mơ vàng, pha với nước lạnh thành nước giải khát.",
        "chế biến mơ", ("mơ", "nước giải khát"), 3,
    ),
    KindSpec(
        "RUOUMENLA", "Rượu men lá", "{brand} leaf-yeast rice liquor", DRINK, ALCOHOL, "ruou",
        (_v("500ML", "chai 500 ml", "500", "ml", _BOTTLE, 75_000, 900),
         _v("2L", "can 2 l", "2", "l", "can nhựa PET", 220_000, 2_300)),
        1_825, "Gạo nếp, men lá",
        "Rượu nấu từ gạo nếp nương ủ men lá rừng theo bài thuốc gia truyền, êm và thơm.",
        "nấu rượu men lá", ("rượu men lá",), 7,
    ),
    KindSpec(
        "RUOUMO", "Rượu mơ", "{brand} apricot liqueur", DRINK, ALCOHOL, "ruou",
        (_v("500ML", "chai 500 ml", "500", "ml", _BOTTLE, 180_000, 950),),
        1_825, "Quả mơ, rượu gạo, đường",
        "Rượu mơ ngâm từ quả mơ vàng chín với rượu gạo, vị chua ngọt, hương mơ đậm.",
        "ngâm rượu mơ", ("rượu mơ", "mơ"), 3,
    ),
    KindSpec(
        "MANGKHO", "Măng khô", "{brand} dried bamboo shoots", FOOD, RAW, "lamsan",
        (_v("500G", "gói 500 g", "500", "g", _BAG, 140_000, 540),
         _v("1KG", "gói 1 kg", "1", "kg", _BAG, 270_000, 1_060)),
        365, "Măng vầu, măng nứa rừng",
        "Măng rừng luộc chín, phơi khô tự nhiên, không dùng lưu huỳnh.",
        "chế biến măng", ("măng khô", "lâm sản"), 8,
    ),
    KindSpec(
        "MOCNHI", "Mộc nhĩ rừng", "{brand} wood ear mushrooms", FOOD, RAW, "lamsan",
        (_v("200G", "gói 200 g", "200", "g", _BAG, 70_000, 240),
         _v("500G", "gói 500 g", "500", "g", _BAG, 165_000, 540)),
        365, "Mộc nhĩ",
        "Mộc nhĩ mọc trên thân gỗ mục trong rừng, tai dày, giòn, phơi khô tự nhiên.",
        "thu hái lâm sản", ("mộc nhĩ", "lâm sản"), 3,
    ),
    KindSpec(
        "NAMHUONG", "Nấm hương rừng", "{brand} shiitake mushrooms", FOOD, RAW, "lamsan",
        (_v("200G", "gói 200 g", "200", "g", _BAG, 120_000, 240),
         _v("500G", "gói 500 g", "500", "g", _BAG, 280_000, 540)),
        365, "Nấm hương",
        "Nấm hương trồng trên gỗ rừng, mũ dày, thơm, sấy khô.",
        "trồng nấm", ("nấm hương", "lâm sản"), 3,
    ),
    KindSpec(
        "KHANTHOCAM", "Khăn thổ cẩm", "{brand} Tay brocade scarf", CRAFT, None, "thucong",
        (_v("1C", "chiếc", "1", "piece", "túi giấy", 250_000, 200),),
        None, "Sợi bông nhuộm màu tự nhiên",
        "Khăn dệt tay trên khung cửi truyền thống, hoa văn thổ cẩm của người Tày.",
        "dệt thổ cẩm", ("thổ cẩm", "thủ công"), 2,
    ),
    KindSpec(
        "GIOMAY", "Giỏ mây tre đan", "{brand} rattan basket", CRAFT, None, "thucong",
        (_v("1C", "chiếc", "1", "piece", "bọc giấy", 180_000, 600),),
        None, "Mây, tre",
        "Giỏ đan tay từ mây và tre rừng, dáng truyền thống, dùng đựng đồ hoặc làm quà.",
        "đan lát mây tre", ("mây tre đan", "thủ công"), 2,
    ),
)

# fmt: on

KIND_BY_CODE = {kind.code: kind for kind in KINDS}

# fmt: off
# Communes (xã, phường, thị trấn) before the 2025 reorganisation, by district as printed.
DISTRICTS: dict[str, tuple[str, ...]] = {
    "huyện Ba Bể": (
        "thị trấn Chợ Rã", "xã Bành Trạch", "xã Cao Thượng", "xã Chu Hương", "xã Địa Linh",
        "xã Đồng Phúc", "xã Hà Hiệu", "xã Hoàng Trĩ", "xã Khang Ninh", "xã Mỹ Phương",
        "xã Nam Mẫu", "xã Phúc Lộc", "xã Quảng Khê", "xã Thượng Giáo", "xã Yến Dương",
    ),
    "huyện Bạch Thông": (
        "thị trấn Phủ Thông", "xã Cao Sơn", "xã Cẩm Giàng", "xã Đôn Phong", "xã Dương Phong",
        "xã Lục Bình", "xã Mỹ Thanh", "xã Nguyên Phúc", "xã Quang Thuận", "xã Quân Hà",
        "xã Sỹ Bình", "xã Tân Tú", "xã Vi Hương", "xã Vũ Muộn",
    ),
    "huyện Chợ Đồn": (
        "thị trấn Bằng Lũng", "xã Bản Thi", "xã Bằng Lãng", "xã Bằng Phúc", "xã Bình Trung",
        "xã Đại Sảo", "xã Đồng Lạc", "xã Đồng Thắng", "xã Lương Bằng", "xã Nam Cường",
        "xã Nghĩa Tá", "xã Ngọc Phái", "xã Phương Viên", "xã Quảng Bạch", "xã Tân Lập",
        "xã Xuân Lạc", "xã Yên Mỹ", "xã Yên Phong", "xã Yên Thịnh", "xã Yên Thượng",
    ),
    "huyện Chợ Mới": (
        "thị trấn Đồng Tâm", "xã Bình Văn", "xã Cao Kỳ", "xã Hòa Mục", "xã Mai Lạp",
        "xã Như Cố", "xã Nông Hạ", "xã Quảng Chu", "xã Tân Sơn", "xã Thanh Mai",
        "xã Thanh Thịnh", "xã Thanh Vận", "xã Yên Cư", "xã Yên Đĩnh", "xã Yên Hân",
    ),
    "huyện Na Rì": (
        "thị trấn Yến Lạc", "xã Côn Minh", "xã Cư Lễ", "xã Cường Lợi", "xã Dương Sơn",
        "xã Đổng Xá", "xã Kim Hỷ", "xã Kim Lư", "xã Lạng San", "xã Liêm Thủy",
        "xã Lương Thượng", "xã Quang Phong", "xã Sơn Thành", "xã Trần Phú", "xã Văn Lang",
        "xã Văn Minh", "xã Văn Vũ", "xã Xuân Dương",
    ),
    "huyện Ngân Sơn": (
        "thị trấn Nà Phặc", "xã Bằng Vân", "xã Cốc Đán", "xã Đức Vân", "xã Hiệp Lực",
        "xã Thuần Mang", "xã Thượng Ân", "xã Thượng Quan", "xã Trung Hòa", "xã Vân Tùng",
    ),
    "huyện Pác Nặm": (
        "xã An Thắng", "xã Bằng Thành", "xã Bộc Bố", "xã Cao Tân", "xã Cổ Linh",
        "xã Công Bằng", "xã Giáo Hiệu", "xã Nghiên Loan", "xã Nhạn Môn", "xã Xuân La",
    ),
    "thành phố Bắc Kạn": (
        "phường Đức Xuân", "phường Huyền Tụng", "phường Nguyễn Thị Minh Khai",
        "phường Phùng Chí Kiên", "phường Sông Cầu", "phường Xuất Hóa", "xã Dương Quang",
        "xã Nông Thượng",
    ),
}

VILLAGES = (
    "Nà Làng", "Nà Pài", "Khuổi Hẻo", "Bản Cuôn", "Nà Mun", "Pác Cáp", "Nà Khon",
    "Khuổi Slung", "Bản Phiêng", "Nà Nọi", "Phiêng Lầu", "Nà Cà", "Bản Đính", "Khau Ban",
    "Nà Lẹng", "Cốc Lải", "Nà Tòng", "Pò Đon", "Bản Chang", "Khuổi Luông",
)

# fmt: on

COOPERATIVE_WORDS = (
    "Nông nghiệp",
    "Dịch vụ nông nghiệp",
    "Nông lâm nghiệp",
    "Sản xuất và thương mại",
    "Nông nghiệp sạch",
    "Dịch vụ tổng hợp",
)
SURNAMES = ("Hoàng", "Nông", "Triệu", "Lường", "Hà", "Ma", "Lý", "Đàm", "Bế", "Lục", "Nguyễn")
MIDDLE_NAMES = ("Văn", "Thị", "Đức", "Thanh", "Minh")
GIVEN_NAMES = (
    "Tùng",
    "Hằng",
    "Phượng",
    "Thắng",
    "Lan",
    "Cường",
    "Hoa",
    "Dũng",
    "Mai",
    "Nguyên",
    "Thủy",
    "Quyết",
    "Hương",
    "Bình",
    "Chiến",
    "Duyên",
    "Khánh",
    "Sơn",
    "Yến",
    "Hiền",
)


@dataclass(frozen=True)
class ProducerSpec:
    """A producer written out by hand (the real ones of design.md §6 and two made-up firms)."""

    code: str
    name: str
    kind: ProducerKind
    district: str
    commune: str
    village: str | None


# Which parts are public is listed per producer in examples/bac-kan/README.md.
TAI_HOAN = ProducerSpec(
    "TAIHOAN",
    "Hợp tác xã Tài Hoan",
    ProducerKind.COOPERATIVE,
    "huyện Na Rì",
    "xã Côn Minh",
    "thôn Chè Cọ",
)
NONG_SAN_BK = ProducerSpec(
    "NSBK",
    "Công ty Cổ phần Nông sản Bắc Kạn",
    ProducerKind.ENTERPRISE,
    "thành phố Bắc Kạn",
    "phường Huyền Tụng",
    "tổ 9",  # address made up
)
BAC_HA = ProducerSpec(
    "BACHA",
    "Công ty Cổ phần Curcumin Bắc Hà",
    ProducerKind.ENTERPRISE,
    "thành phố Bắc Kạn",
    "xã Nông Thượng",
    None,
)
NGOC_THANG = ProducerSpec(
    "NGOCTHANG",
    "Công ty TNHH Chế biến nông sản và dược liệu Ngọc Thắng",
    ProducerKind.ENTERPRISE,
    "huyện Chợ Đồn",
    "xã Bằng Phúc",
    "thôn Nà Pài",  # address made up
)
BAO_CHAU = ProducerSpec(
    "BAOCHAU",
    "Hợp tác xã Bảo Châu",
    ProducerKind.COOPERATIVE,
    "huyện Na Rì",
    "xã Văn Lang",
    None,
)
DAI_THANG = ProducerSpec(
    "DAITHANG",
    "Tổ hợp tác Đại Thắng",
    ProducerKind.COOPERATIVE_GROUP,
    "huyện Bạch Thông",
    "xã Cao Sơn",
    "thôn Khuổi Hẻo",  # address made up
)
REAL_PRODUCERS = (TAI_HOAN, NONG_SAN_BK, BAC_HA, NGOC_THANG, BAO_CHAU, DAI_THANG)

# The two made-up enterprises (the article counts 5 enterprises; three are real above).
MADE_UP_ENTERPRISES = (
    ProducerSpec(
        "XANHBABE",
        "Công ty TNHH Thực phẩm Xanh Ba Bể",
        ProducerKind.ENTERPRISE,
        "huyện Ba Bể",
        "xã Khang Ninh",
        "thôn Pác Cáp",
    ),
    ProducerSpec(
        "DLPACNAM",
        "Công ty TNHH Dược liệu Pác Nặm",
        ProducerKind.ENTERPRISE,
        "huyện Pác Nặm",
        "xã Bộc Bố",
        "thôn Nà Khon",
    ),
)
ENTERPRISE_FAMILIES = {"XANHBABE": ("ong", "lamsan"), "DLPACNAM": ("nghe", "thao")}
ENTERPRISE_BRANDS = {"XANHBABE": "Xanh Ba Bể", "DLPACNAM": "Pác Nặm"}

# Producer counts by kind (design.md §1, from the 2023 article): 110 in all.
PRODUCER_COUNTS = {
    ProducerKind.COOPERATIVE: 73,
    ProducerKind.ENTERPRISE: 5,
    ProducerKind.HOUSEHOLD_BUSINESS: 22,
    ProducerKind.COOPERATIVE_GROUP: 10,
}


@dataclass(frozen=True)
class Round:
    """One assessment round: a decision that recognises several products at once."""

    decision_no: str
    decision_date: date


# Made-up decisions, all between June 2024 and June 2025: after the 148/2023 criteria took
# effect and before districts were abolished (1 Jul 2025), so the printed issuer and
# address are the Bắc Kạn ones and every certificate is valid well past 2026-11-29.
# fmt: off
DISTRICT_ROUNDS: dict[str, tuple[Round, Round]] = {
    "huyện Ba Bể": (Round("1825/QĐ-UBND", date(2024, 9, 12)),
                    Round("642/QĐ-UBND", date(2025, 4, 18))),
    "huyện Bạch Thông": (Round("2210/QĐ-UBND", date(2024, 10, 3)),
                         Round("731/QĐ-UBND", date(2025, 5, 6))),
    "huyện Chợ Đồn": (Round("1967/QĐ-UBND", date(2024, 8, 27)),
                      Round("588/QĐ-UBND", date(2025, 3, 28))),
    "huyện Chợ Mới": (Round("2034/QĐ-UBND", date(2024, 9, 20)),
                      Round("815/QĐ-UBND", date(2025, 5, 15))),
    "huyện Na Rì": (Round("2456/QĐ-UBND", date(2024, 10, 24)),
                    Round("903/QĐ-UBND", date(2025, 6, 10))),
    "huyện Ngân Sơn": (Round("1719/QĐ-UBND", date(2024, 8, 15)),
                       Round("617/QĐ-UBND", date(2025, 4, 9))),
    "huyện Pác Nặm": (Round("1588/QĐ-UBND", date(2024, 7, 30)),
                      Round("702/QĐ-UBND", date(2025, 4, 25))),
    "thành phố Bắc Kạn": (Round("3120/QĐ-UBND", date(2024, 11, 14)),
                          Round("1046/QĐ-UBND", date(2025, 6, 3))),
}
# fmt: on
PROVINCE_ROUNDS = (
    Round("1712/QĐ-UBND", date(2024, 9, 26)),
    Round("2398/QĐ-UBND", date(2024, 12, 18)),
    Round("934/QĐ-UBND", date(2025, 5, 22)),
)
PROVINCE_ISSUER = "UBND tỉnh Bắc Kạn"
MINISTRY_2024 = "Bộ Nông nghiệp và Phát triển nông thôn"
