//! Realistic Chinese reference data for the generator (people, companies, places, industries) and the
//! identifiers derived from it: mainland mobile numbers, e-mail addresses, unified social credit codes.

use std::collections::HashSet;

use rand::Rng;
use rand::seq::IndexedRandom;

/// Common surnames with their pinyin (e-mail local parts are built from pinyin).
const SURNAMES: &[(&str, &str)] = &[
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("高", "gao"),
    ("林", "lin"),
    ("罗", "luo"),
    ("郑", "zheng"),
    ("梁", "liang"),
    ("谢", "xie"),
    ("宋", "song"),
    ("唐", "tang"),
    ("许", "xu"),
    ("韩", "han"),
    ("冯", "feng"),
    ("邓", "deng"),
    ("曹", "cao"),
    ("彭", "peng"),
    ("曾", "zeng"),
    ("肖", "xiao"),
    ("田", "tian"),
    ("董", "dong"),
    ("袁", "yuan"),
    ("潘", "pan"),
    ("于", "yu"),
    ("蒋", "jiang"),
    ("蔡", "cai"),
    ("余", "yu"),
    ("杜", "du"),
    ("叶", "ye"),
    ("程", "cheng"),
    ("苏", "su"),
    ("魏", "wei"),
    ("吕", "lv"),
    ("丁", "ding"),
    ("任", "ren"),
    ("沈", "shen"),
    ("姚", "yao"),
    ("卢", "lu"),
    ("姜", "jiang"),
    ("崔", "cui"),
    ("钟", "zhong"),
    ("谭", "tan"),
    ("陆", "lu"),
    ("汪", "wang"),
    ("范", "fan"),
    ("金", "jin"),
    ("石", "shi"),
    ("廖", "liao"),
    ("贾", "jia"),
    ("夏", "xia"),
    ("韦", "wei"),
    ("方", "fang"),
    ("白", "bai"),
    ("邹", "zou"),
    ("孟", "meng"),
    ("熊", "xiong"),
    ("秦", "qin"),
    ("邱", "qiu"),
    ("江", "jiang"),
    ("尹", "yin"),
    ("薛", "xue"),
    ("段", "duan"),
    ("雷", "lei"),
    ("侯", "hou"),
    ("龙", "long"),
    ("史", "shi"),
    ("陶", "tao"),
    ("黎", "li"),
    ("贺", "he"),
    ("顾", "gu"),
    ("毛", "mao"),
    ("郝", "hao"),
    ("龚", "gong"),
    ("邵", "shao"),
    ("万", "wan"),
    ("钱", "qian"),
    ("严", "yan"),
    ("武", "wu"),
    ("戴", "dai"),
    ("莫", "mo"),
    ("孔", "kong"),
    ("向", "xiang"),
];

/// Characters of given names with their pinyin.
const GIVEN: &[(&str, &str)] = &[
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("娟", "juan"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀", "xiu"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("英", "ying"),
    ("华", "hua"),
    ("玉", "yu"),
    ("建", "jian"),
    ("文", "wen"),
    ("辉", "hui"),
    ("力", "li"),
    ("婷", "ting"),
    ("雪", "xue"),
    ("琳", "lin"),
    ("晨", "chen"),
    ("浩", "hao"),
    ("宇", "yu"),
    ("鹏", "peng"),
    ("欣", "xin"),
    ("怡", "yi"),
    ("佳", "jia"),
    ("俊", "jun"),
    ("思", "si"),
    ("雨", "yu"),
    ("博", "bo"),
    ("子", "zi"),
    ("涵", "han"),
    ("轩", "xuan"),
    ("梓", "zi"),
    ("萱", "xuan"),
    ("嘉", "jia"),
    ("颖", "ying"),
    ("志", "zhi"),
    ("海", "hai"),
    ("峰", "feng"),
    ("波", "bo"),
    ("斌", "bin"),
    ("凯", "kai"),
    ("晓", "xiao"),
    ("红", "hong"),
    ("燕", "yan"),
    ("云", "yun"),
    ("莉", "li"),
    ("宁", "ning"),
    ("倩", "qian"),
    ("慧", "hui"),
    ("亮", "liang"),
    ("成", "cheng"),
    ("振", "zhen"),
    ("国", "guo"),
    ("东", "dong"),
    ("立", "li"),
    ("新", "xin"),
    ("春", "chun"),
    ("丹", "dan"),
    ("鑫", "xin"),
    ("薇", "wei"),
    ("璐", "lu"),
    ("阳", "yang"),
    ("帆", "fan"),
    ("然", "ran"),
];

/// A generated person: the Chinese name and the pinyin used for e-mail addresses and WeChat ids.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub surname_pinyin: &'static str,
    pub given_pinyin: String,
}

pub fn person(rng: &mut impl Rng) -> Person {
    let (surname, surname_pinyin) = *SURNAMES.choose(rng).expect("non-empty");
    let chars = if rng.random_bool(0.7) { 2 } else { 1 };
    let mut name = surname.to_owned();
    let mut given_pinyin = String::new();
    for _ in 0..chars {
        let (c, p) = GIVEN.choose(rng).expect("non-empty");
        name.push_str(c);
        given_pinyin.push_str(p);
    }
    Person { name, surname_pinyin, given_pinyin }
}

/// A district: name, administrative division code (GB/T 2260, also characters 3–8 of a unified
/// social credit code registered there) and well-known roads in it (addresses are built from these,
/// so a 济南 address never names 天府大道, nor a 东城区 one 中关村大街).
pub type District = (&'static str, &'static str, &'static [&'static str]);

/// A city with its districts.
pub struct City {
    pub province: &'static str,
    pub city: &'static str,
    /// The city name without 市, as used at the start of company names.
    pub short: &'static str,
    /// Relative share of companies (roughly economic weight).
    pub weight: u32,
    pub districts: &'static [District],
}

impl City {
    /// Municipalities (北京市, …) are their own province.
    pub fn is_municipality(&self) -> bool {
        self.province == self.city
    }
}

#[rustfmt::skip]
pub const CITIES: &[City] = &[
    City { province: "北京市", city: "北京市", short: "北京", weight: 16, districts: &[("海淀区", "110108", &["中关村大街", "知春路", "学院路"]), ("朝阳区", "110105", &["建国路", "东三环中路", "望京街", "酒仙桥路"]), ("东城区", "110101", &["东长安街", "王府井大街", "东直门南大街"]), ("西城区", "110102", &["金融大街", "西单北大街", "西直门外大街"]), ("丰台区", "110106", &["南四环西路", "丽泽路"])] },
    City { province: "上海市", city: "上海市", short: "上海", weight: 16, districts: &[("浦东新区", "310115", &["张江路", "世纪大道", "陆家嘴环路", "东方路"]), ("徐汇区", "310104", &["漕溪北路", "虹桥路", "宜山路"]), ("静安区", "310106", &["南京西路", "延安中路", "江宁路"]), ("闵行区", "310112", &["都市路", "七莘路", "申长路"]), ("杨浦区", "310110", &["淞沪路", "国定路", "黄兴路"])] },
    City { province: "广东省", city: "深圳市", short: "深圳", weight: 14, districts: &[("南山区", "440305", &["科苑路", "深南大道", "沙河西路", "滨海大道"]), ("福田区", "440304", &["深南大道", "华强北路", "益田路", "福华路"]), ("宝安区", "440306", &["宝安大道", "新湖路", "创业一路"]), ("龙岗区", "440307", &["龙岗大道", "坂雪岗大道"])] },
    City { province: "广东省", city: "广州市", short: "广州", weight: 10, districts: &[("天河区", "440106", &["天河路", "体育西路", "花城大道", "珠江东路"]), ("海珠区", "440105", &["新港中路", "江南大道", "琶洲大道"]), ("番禺区", "440113", &["番禺大道", "兴南大道"]), ("黄埔区", "440112", &["科学大道", "开创大道", "黄埔东路"])] },
    City { province: "广东省", city: "佛山市", short: "佛山", weight: 3, districts: &[("南海区", "440605", &["南海大道", "桂澜路"]), ("顺德区", "440606", &["德胜东路", "南国东路"]), ("禅城区", "440604", &["季华路", "汾江中路"])] },
    City { province: "浙江省", city: "杭州市", short: "杭州", weight: 10, districts: &[("西湖区", "330106", &["文三路", "教工路", "天目山路", "文一西路"]), ("余杭区", "330110", &["文一西路", "五常大道", "良睦路"]), ("滨江区", "330108", &["江南大道", "网商路", "长河路"]), ("上城区", "330102", &["延安路", "解放东路", "富春路"])] },
    City { province: "浙江省", city: "宁波市", short: "宁波", weight: 4, districts: &[("鄞州区", "330212", &["天童南路", "宁穿路", "百丈东路"]), ("海曙区", "330203", &["中山西路", "解放南路"]), ("北仑区", "330206", &["明州路", "新大路"])] },
    City { province: "江苏省", city: "苏州市", short: "苏州", weight: 7, districts: &[("姑苏区", "320508", &["干将路", "人民路", "观前街"]), ("吴中区", "320506", &["东吴北路", "吴中大道"]), ("虎丘区", "320505", &["狮山路", "长江路", "金山路"])] },
    City { province: "江苏省", city: "南京市", short: "南京", weight: 5, districts: &[("玄武区", "320102", &["中山路", "珠江路", "北京东路", "龙蟠中路"]), ("鼓楼区", "320106", &["北京西路", "汉中路", "中山北路"]), ("江宁区", "320115", &["双龙大道", "天元中路", "胜太路"])] },
    City { province: "江苏省", city: "无锡市", short: "无锡", weight: 3, districts: &[("梁溪区", "320213", &["中山路", "人民中路", "解放北路"]), ("滨湖区", "320211", &["蠡湖大道", "梁溪路", "太湖大道"])] },
    City { province: "四川省", city: "成都市", short: "成都", weight: 6, districts: &[("武侯区", "510107", &["人民南路", "科华北路", "天府大道"]), ("锦江区", "510104", &["春熙路", "东大街", "红星路"]), ("青羊区", "510105", &["蜀都大道", "人民中路", "光华大道"]), ("成华区", "510108", &["建设路", "府青路"])] },
    City { province: "湖北省", city: "武汉市", short: "武汉", weight: 5, districts: &[("洪山区", "420111", &["珞喻路", "光谷大道", "雄楚大道"]), ("江汉区", "420103", &["解放大道", "建设大道", "新华路"]), ("武昌区", "420106", &["中北路", "武珞路", "中南路"])] },
    City { province: "山东省", city: "济南市", short: "济南", weight: 3, districts: &[("历下区", "370102", &["经十路", "泉城路", "历山路", "舜华路"]), ("市中区", "370103", &["经七路", "纬二路", "英雄山路"])] },
    City { province: "山东省", city: "青岛市", short: "青岛", weight: 3, districts: &[("市南区", "370202", &["香港中路", "东海西路", "山东路"]), ("崂山区", "370212", &["海尔路", "株洲路", "深圳路"]), ("黄岛区", "370211", &["长江中路", "井冈山路"])] },
    City { province: "福建省", city: "厦门市", short: "厦门", weight: 3, districts: &[("思明区", "350203", &["湖滨南路", "厦禾路", "观日路"]), ("湖里区", "350206", &["嘉禾路", "湖里大道", "金尚路"])] },
    City { province: "福建省", city: "福州市", short: "福州", weight: 2, districts: &[("鼓楼区", "350102", &["五四路", "八一七北路", "湖东路", "工业路"]), ("仓山区", "350104", &["浦上大道", "金山大道", "则徐大道"])] },
    City { province: "陕西省", city: "西安市", short: "西安", weight: 4, districts: &[("雁塔区", "610113", &["高新路", "唐延路", "科技路", "雁塔路"]), ("碑林区", "610103", &["长安北路", "南大街", "东大街"]), ("未央区", "610112", &["凤城八路", "未央路", "文景路"])] },
    City { province: "天津市", city: "天津市", short: "天津", weight: 4, districts: &[("滨海新区", "120116", &["第二大街", "黄海路"]), ("和平区", "120101", &["南京路", "滨江道", "解放北路"]), ("南开区", "120104", &["卫津路", "鞍山西道", "红旗路"])] },
    City { province: "重庆市", city: "重庆市", short: "重庆", weight: 4, districts: &[("渝北区", "500112", &["金开大道", "星光大道", "红锦大道"]), ("江北区", "500105", &["建新北路", "建新东路", "红石路"]), ("渝中区", "500103", &["民族路", "邹容路", "中山三路"])] },
    City { province: "安徽省", city: "合肥市", short: "合肥", weight: 3, districts: &[("蜀山区", "340104", &["长江西路", "黄山路", "望江西路", "金寨路"]), ("包河区", "340111", &["马鞍山路", "徽州大道", "屯溪路"])] },
    City { province: "湖南省", city: "长沙市", short: "长沙", weight: 3, districts: &[("岳麓区", "430104", &["麓山南路", "枫林三路", "岳麓大道"]), ("天心区", "430103", &["芙蓉中路", "劳动西路", "书院路"]), ("雨花区", "430111", &["韶山中路", "万家丽中路", "劳动东路"])] },
    City { province: "河南省", city: "郑州市", short: "郑州", weight: 3, districts: &[("金水区", "410105", &["花园路", "金水路", "农业路", "经三路"]), ("二七区", "410103", &["大学路", "航海中路", "京广中路"]), ("中原区", "410102", &["中原路", "建设西路", "桐柏路"])] },
];

/// A street address on one of the district's roads (a long road crossing districts is listed in
/// each).
pub fn address(rng: &mut impl Rng, city: &City, district: &District) -> String {
    let (district, _, roads) = *district;
    let road = roads.choose(rng).expect("every district has roads");
    let number = rng.random_range(1..=999);
    let prefix = if city.is_municipality() { city.city.to_owned() } else { format!("{}{}", city.province, city.city) };
    let building = match rng.random_range(0..3) {
        0 => String::new(),
        1 => format!("{}座{}层", ["A", "B", "C"].choose(rng).expect("non-empty"), rng.random_range(2..=30)),
        _ => format!("{}号楼", rng.random_range(1..=12)),
    };
    format!("{prefix}{district}{road}{number}号{building}")
}

/// Section code, name, and its divisions (code, name).
pub type IndustryDef = (&'static str, &'static str, &'static [(&'static str, &'static str)]);

/// Industry tree, GB/T 4754-2017 sections (level 1) and divisions (level 2).
#[rustfmt::skip]
pub const INDUSTRIES: &[IndustryDef] = &[
    ("C", "制造业", &[("C26", "化学原料和化学制品制造业"), ("C27", "医药制造业"), ("C35", "专用设备制造业"), ("C36", "汽车制造业"), ("C39", "计算机、通信和其他电子设备制造业")]),
    ("D", "电力、热力、燃气及水生产和供应业", &[("D44", "电力、热力生产和供应业"), ("D45", "燃气生产和供应业")]),
    ("E", "建筑业", &[("E47", "房屋建筑业"), ("E48", "土木工程建筑业")]),
    ("F", "批发和零售业", &[("F51", "批发业"), ("F52", "零售业")]),
    ("G", "交通运输、仓储和邮政业", &[("G54", "道路运输业"), ("G58", "多式联运和运输代理业"), ("G59", "装卸搬运和仓储业")]),
    ("I", "信息传输、软件和信息技术服务业", &[("I63", "电信、广播电视和卫星传输服务"), ("I64", "互联网和相关服务"), ("I65", "软件和信息技术服务业")]),
    ("J", "金融业", &[("J66", "货币金融服务"), ("J67", "资本市场服务"), ("J68", "保险业")]),
    ("K", "房地产业", &[("K70", "房地产业")]),
    ("L", "租赁和商务服务业", &[("L72", "商务服务业")]),
    ("M", "科学研究和技术服务业", &[("M73", "研究和试验发展"), ("M75", "科技推广和应用服务业")]),
    ("P", "教育", &[("P83", "教育")]),
    ("Q", "卫生和社会工作", &[("Q84", "卫生")]),
    ("R", "文化、体育和娱乐业", &[("R86", "新闻和出版业"), ("R87", "广播、电视、电影和录音制作业")]),
];

/// Line of business in a company name: (name part, domain tag, GB/T 4754 division).
#[rustfmt::skip]
pub const TRADES: &[(&str, &str, &str)] = &[
    ("网络科技", "tech", "I64"), ("信息技术", "it", "I65"), ("软件", "soft", "I65"), ("数据科技", "data", "I65"),
    ("通信技术", "telecom", "I63"), ("智能制造", "im", "C35"), ("电子科技", "elec", "C39"), ("生物医药", "bio", "C27"),
    ("制药", "pharma", "C27"), ("新材料", "material", "C26"), ("化工", "chem", "C26"), ("汽车零部件", "auto", "C36"),
    ("医疗器械", "medical", "C35"), ("物流", "logistics", "G58"), ("供应链管理", "scm", "G58"), ("仓储服务", "storage", "G59"),
    ("运输", "transport", "G54"), ("商贸", "trade", "F51"), ("零售连锁", "retail", "F52"), ("金融信息服务", "fin", "J67"),
    ("保险代理", "insure", "J68"), ("融资租赁", "lease", "J66"), ("教育科技", "edu", "P83"), ("建设工程", "build", "E48"),
    ("建筑工程", "construct", "E47"), ("新能源", "energy", "D44"), ("燃气", "gas", "D45"), ("企业管理咨询", "consulting", "L72"),
    ("文化传媒", "media", "R87"), ("出版", "press", "R86"), ("置业", "estate", "K70"), ("检测技术", "testing", "M75"),
    ("医疗科技", "health", "Q84"), ("技术研究", "research", "M73"),
];

/// Characters of brand names ("字号") with their pinyin.
const BRAND: &[(&str, &str)] = &[
    ("云", "yun"),
    ("帆", "fan"),
    ("海", "hai"),
    ("星", "xing"),
    ("联", "lian"),
    ("创", "chuang"),
    ("华", "hua"),
    ("信", "xin"),
    ("达", "da"),
    ("博", "bo"),
    ("智", "zhi"),
    ("远", "yuan"),
    ("鼎", "ding"),
    ("恒", "heng"),
    ("瑞", "rui"),
    ("泰", "tai"),
    ("盛", "sheng"),
    ("天", "tian"),
    ("宇", "yu"),
    ("新", "xin"),
    ("中", "zhong"),
    ("金", "jin"),
    ("正", "zheng"),
    ("安", "an"),
    ("润", "run"),
    ("卓", "zhuo"),
    ("越", "yue"),
    ("锐", "rui"),
    ("腾", "teng"),
    ("飞", "fei"),
    ("景", "jing"),
    ("明", "ming"),
    ("晨", "chen"),
    ("光", "guang"),
    ("启", "qi"),
    ("航", "hang"),
    ("蓝", "lan"),
    ("睿", "rui"),
    ("思", "si"),
    ("汇", "hui"),
    ("通", "tong"),
    ("宏", "hong"),
    ("图", "tu"),
    ("凯", "kai"),
    ("峰", "feng"),
    ("和", "he"),
    ("嘉", "jia"),
    ("立", "li"),
    ("方", "fang"),
    ("元", "yuan"),
    ("易", "yi"),
    ("数", "shu"),
    ("极", "ji"),
    ("优", "you"),
    ("美", "mei"),
    ("康", "kang"),
    ("隆", "long"),
    ("祥", "xiang"),
    ("德", "de"),
    ("诚", "cheng"),
];

/// A generated company: its legal name, web domain and line of business (index into [`TRADES`]).
#[derive(Debug, Clone)]
pub struct Company {
    pub name: String,
    pub domain: String,
    pub trade: usize,
}

/// A company registered in `city`, e.g. 杭州云帆网络科技有限公司 (yunfan-tech.com).
pub fn company(rng: &mut impl Rng, city: &City) -> Company {
    let (b1, p1) = *BRAND.choose(rng).expect("non-empty");
    let (b2, p2) = loop {
        let c = *BRAND.choose(rng).expect("non-empty");
        if c.0 != b1 {
            break c;
        }
    };
    let trade = rng.random_range(0..TRADES.len());
    let (trade_name, trade_tag, _) = TRADES[trade];
    let suffix = match rng.random_range(0..100) {
        0..75 => "有限公司",
        75..95 => "股份有限公司",
        _ => "集团有限公司",
    };
    Company {
        name: format!("{}{b1}{b2}{trade_name}{suffix}", city.short),
        domain: format!("{p1}{p2}-{trade_tag}.com"),
        trade,
    }
}

/// Mobile number segments of the three mainland carriers.
const MOBILE_PREFIXES: &[&str] = &[
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "145", "147", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "170", "173", "175", "176", "177", "178", "180", "181", "182", "183",
    "184", "185", "186", "187", "188", "189", "191", "198", "199",
];

/// A mainland mobile number (11 digits, 1[3-9]x) not yet in `taken`.
pub fn unique_mobile(rng: &mut impl Rng, taken: &mut HashSet<String>) -> String {
    loop {
        let prefix = MOBILE_PREFIXES.choose(rng).expect("non-empty");
        let phone = format!("{prefix}{:08}", rng.random_range(0..100_000_000u32));
        if taken.insert(phone.clone()) {
            return phone;
        }
    }
}

/// A work (or, sometimes, personal) e-mail address built from the pinyin, unique in `taken`.
pub fn unique_email(rng: &mut impl Rng, person: &Person, domain: &str, taken: &mut HashSet<String>) -> String {
    let domain = if rng.random_bool(0.15) {
        *["qq.com", "163.com", "126.com", "foxmail.com"].choose(rng).expect("non-empty")
    } else {
        domain
    };
    let (given, surname) = (&person.given_pinyin, person.surname_pinyin);
    let local = match rng.random_range(0..3) {
        0 => format!("{given}.{surname}"),
        1 => format!("{surname}{given}"),
        _ => format!("{}{surname}", &given[..1]),
    };
    let mut n = 1;
    loop {
        let email = if n == 1 { format!("{local}@{domain}") } else { format!("{local}{n}@{domain}") };
        if taken.insert(email.clone()) {
            return email;
        }
        n += 1;
    }
}

/// A WeChat id in one of the shapes users pick: `wxid_…` (default) or pinyin plus digits.
pub fn wechat_id(rng: &mut impl Rng, person: &Person) -> String {
    if rng.random_bool(0.5) {
        format!("wxid_{}", random_string(rng, LOWER_ALNUM, 14))
    } else {
        format!("{}{}{}", person.surname_pinyin, person.given_pinyin, rng.random_range(1..9999))
    }
}

pub const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
pub const HEX: &[u8] = b"0123456789abcdef";
pub const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub fn random_string(rng: &mut impl Rng, charset: &[u8], len: usize) -> String {
    (0..len).map(|_| charset[rng.random_range(0..charset.len())] as char).collect()
}

/// The 31 characters of GB 32100-2015 (unified social credit code): no I, O, S, V, Z.
pub const CREDIT_CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const CREDIT_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// The 18th (check) character of a unified social credit code for its first 17 characters;
/// `None` when the input is not 17 characters of the GB 32100 charset.
pub fn credit_check_char(first17: &str) -> Option<char> {
    if first17.chars().count() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in first17.chars().zip(CREDIT_WEIGHTS) {
        sum += CREDIT_CHARSET.find(c)? as u32 * w;
    }
    CREDIT_CHARSET.chars().nth(((31 - sum % 31) % 31) as usize)
}

/// The check character of a GB 11714 organisation code (characters 9–17 of a credit code).
fn org_code_check(body: &str) -> char {
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.chars().zip(WEIGHTS).map(|(c, w)| c.to_digit(36).unwrap_or(0) * w).sum();
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10).unwrap_or('0'),
    }
}

/// A unified social credit code of an enterprise (登记管理部门 9, 机构类别 1) registered in the
/// district `division`: 91 + division code + organisation code (with its GB 11714 check) + check.
pub fn credit_code(rng: &mut impl Rng, division: &str) -> String {
    const DIGITS: &[u8] = b"0123456789";
    // Codes issued since 2015 commonly carry "MA" + six characters as the organisation code body.
    let body = if rng.random_bool(0.5) {
        let tail: String = (0..6)
            .map(|_| {
                let set = if rng.random_bool(0.7) { DIGITS } else { b"ABCDEFGHJKLMNPQRTUWXY" };
                set[rng.random_range(0..set.len())] as char
            })
            .collect();
        format!("MA{tail}")
    } else {
        random_string(rng, DIGITS, 8)
    };
    let first17 = format!("91{division}{body}{}", org_code_check(&body));
    let check = credit_check_char(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

pub fn unique_credit_code(rng: &mut impl Rng, division: &str, taken: &mut HashSet<String>) -> String {
    loop {
        let code = credit_code(rng, division);
        if taken.insert(code.clone()) {
            return code;
        }
    }
}

/// Job titles with their department and how likely the holder decides a purchase.
#[rustfmt::skip]
pub const JOBS: &[(&str, &str, f64)] = &[
    ("首席执行官 CEO", "总经办", 0.95), ("总经理", "总经办", 0.9), ("首席技术官 CTO", "技术部", 0.85),
    ("首席信息官 CIO", "信息中心", 0.85), ("IT总监", "信息中心", 0.7), ("数字化转型负责人", "数字化部", 0.7),
    ("市场总监", "市场部", 0.6), ("采购总监", "采购部", 0.65), ("财务总监 CFO", "财务部", 0.6),
    ("销售总监", "销售部", 0.4), ("采购经理", "采购部", 0.35), ("市场经理", "市场部", 0.2),
    ("运营经理", "运营部", 0.15), ("产品经理", "产品部", 0.1), ("项目经理", "项目管理部", 0.1),
    ("数据分析师", "数据部", 0.05), ("研发工程师", "研发中心", 0.03), ("IT运维工程师", "信息中心", 0.03),
    ("市场专员", "市场部", 0.02), ("人力资源经理", "人力资源部", 0.1),
];

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn credit_check_char_matches_published_codes() {
        // The example of GB 32100-2015 itself and two codes printed on business licences.
        for code in ["91350100M000100Y43", "91440300708461136T", "914403001922038216"] {
            assert_eq!(credit_check_char(&code[..17]), code.chars().nth(17), "{code}");
        }
        assert_eq!(credit_check_char("short"), None);
        assert_eq!(credit_check_char("9133010079965505I"), None, "I is not in the charset");
    }

    #[test]
    fn mobiles_are_eleven_digit_mainland_numbers() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut taken = HashSet::new();
        for _ in 0..1000 {
            let m = unique_mobile(&mut rng, &mut taken);
            assert_eq!(m.len(), 11);
            assert!(m.starts_with('1') && (b'3'..=b'9').contains(&m.as_bytes()[1]));
            assert!(m.bytes().all(|b| b.is_ascii_digit()));
        }
        assert_eq!(taken.len(), 1000);
    }

    #[test]
    fn company_names_read_like_registered_names() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let c = company(&mut rng, &CITIES[5]);
        assert!(c.name.starts_with("杭州"));
        assert!(c.name.ends_with("公司"));
        assert!(c.domain.ends_with(".com"));
    }

    #[test]
    fn addresses_name_a_road_of_their_own_city() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for city in CITIES {
            for district in city.districts {
                assert!(!district.2.is_empty(), "{} {}", city.city, district.0);
                for _ in 0..10 {
                    let a = address(&mut rng, city, district);
                    let rest = a.split_once(district.0).expect("district").1;
                    assert!(district.2.iter().any(|s| rest.starts_with(s)), "{a}");
                }
            }
        }
    }
}
