// SPDX-License-Identifier: Apache-2.0
#include "gen.hpp"

#include <array>
#include <string>
#include <vector>

#include "xyd/catalog.hpp"
#include "xyd/json.hpp"

namespace xyd::gen {

namespace {

// splitmix64: tiny, fast, fully specified, so output is identical everywhere.
struct rng {
  uint64_t state;
  explicit rng(uint64_t seed) : state(seed) {}
  uint64_t next() {
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
  int64_t between(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo + 1))); }
  bool percent(int p) { return below(100) < static_cast<uint64_t>(p); }
  template <class T, size_t N>
  const T &pick(const std::array<T, N> &a) { return a[below(N)]; }
};

struct area {
  const char *code, *province, *city, *district, *short_city;
};
constexpr std::array<area, 20> areas{{
    {"110105", "北京市", "北京市", "朝阳区", "北京"},   {"110108", "北京市", "北京市", "海淀区", "北京"},
    {"310104", "上海市", "上海市", "徐汇区", "上海"},   {"310115", "上海市", "上海市", "浦东新区", "上海"},
    {"440106", "广东省", "广州市", "天河区", "广州"},   {"440305", "广东省", "深圳市", "南山区", "深圳"},
    {"330106", "浙江省", "杭州市", "西湖区", "杭州"},   {"330783", "浙江省", "金华市", "东阳市", "东阳"},
    {"320102", "江苏省", "南京市", "玄武区", "南京"},   {"320505", "江苏省", "苏州市", "虎丘区", "苏州"},
    {"510107", "四川省", "成都市", "武侯区", "成都"},   {"420106", "湖北省", "武汉市", "武昌区", "武汉"},
    {"610113", "陕西省", "西安市", "雁塔区", "西安"},   {"370202", "山东省", "青岛市", "市南区", "青岛"},
    {"350102", "福建省", "福州市", "鼓楼区", "福州"},   {"430104", "湖南省", "长沙市", "岳麓区", "长沙"},
    {"410105", "河南省", "郑州市", "金水区", "郑州"},   {"230102", "黑龙江省", "哈尔滨市", "道里区", "哈尔滨"},
    {"650102", "新疆维吾尔自治区", "乌鲁木齐市", "天山区", "乌鲁木齐"},
    {"530102", "云南省", "昆明市", "五华区", "昆明"},
}};

constexpr std::array<const char *, 40> surnames{
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱",
    "胡", "郭", "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯",
    "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡"};
constexpr std::array<const char *, 8> compound_surnames{"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙"};
constexpr std::array<const char *, 48> given_chars{
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀", "霞", "平", "刚", "桂", "英", "华", "建", "国", "文", "辉", "玲", "红", "志", "鹏",
    "宇", "婷", "浩", "欣", "晨", "瑞", "佳", "鑫", "嘉", "琪", "博", "雪", "海", "春", "梅", "龙"};
constexpr std::array<const char *, 8> minority_parts{"阿卜杜拉", "买买提", "艾力", "热依拉", "古丽", "阿依", "吐尔逊", "努尔"};
constexpr std::array<const char *, 24> trade_names{
    "华信", "宏达", "永盛", "恒通", "金鼎", "瑞丰", "鑫源", "天成", "中联", "百川", "嘉禾", "盛世",
    "长虹", "东升", "新航", "博远", "同德", "汇丰", "泰和", "锦程", "德润", "远景", "万象", "启明"};
constexpr std::array<const char *, 12> industries{
    "科技", "贸易", "建筑工程", "食品", "物流", "机械制造", "医药", "电子", "农业开发", "纺织", "教育咨询", "新材料"};
constexpr std::array<const char *, 3> company_forms{"有限公司", "有限责任公司", "股份有限公司"};
constexpr std::array<const char *, 16> roads{
    "人民路", "解放路", "中山路", "建设路", "和平路", "新华路", "胜利路", "文化路",
    "科技路", "长江路", "黄河路", "朝阳路", "友谊路", "青年路", "光明路", "滨江路"};
constexpr std::array<const char *, 6> tax_types{"增值税", "企业所得税", "城市维护建设税", "个人所得税", "房产税", "印花税"};
constexpr std::array<const char *, 6> crops{"水稻", "小麦", "玉米", "蔬菜", "生猪", "茶叶"};
constexpr std::array<const char *, 4> issuers_banks{"中国工商银行", "中国农业银行", "中国建设银行", "中国银行"};
constexpr char uscc_alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";

struct person {
  std::string name, rid;
};

struct enterprise {
  std::string uscc, name, address;
  const area *where;
  person rep;
  int employees;
};

class generator {
 public:
  generator(const options &o, const std::function<void(std::string_view)> &sink) : opt_(o), sink_(sink) {
    anchor_ = opt_.as_of;
    buf_.reserve(1 << 20);
  }

  uint64_t run() {
    for (uint64_t i = 0; i < opt_.subjects; ++i) {
      rng r(opt_.seed * 0x100000001B3ULL ^ (i + 1) * 0x9E3779B97F4A7C15ULL);
      const bool risky = r.percent(opt_.risky_percent);
      if (r.percent(opt_.farmer_percent)) farmer(r, i, risky);
      else company(r, i, risky);
      if (buf_.size() > (1 << 20)) flush();
    }
    flush();
    return count_;
  }

 private:
  const options &opt_;
  const std::function<void(std::string_view)> &sink_;
  civil_date anchor_;
  std::string buf_;
  uint64_t count_ = 0;

  void flush() {
    if (!buf_.empty()) sink_(buf_);
    buf_.clear();
  }

  // ------------------------------------------------------------ values

  civil_date month_end(int months_back) const {
    int y = anchor_.year, m = anchor_.month - months_back;
    while (m < 1) {
      m += 12;
      --y;
    }
    return {y, m, days_in_month(y, m)};
  }

  civil_date random_date(rng &r, int from_year, int to_year) const {
    const int64_t a = days_from_civil({from_year, 1, 1});
    int64_t b = days_from_civil({to_year, 12, 31});
    const int64_t limit = days_from_civil(anchor_);
    if (b > limit) b = limit;
    return civil_from_days(r.between(a, b));
  }

  static std::string money(int64_t fen) { return decimal{fen, 2}.to_string(); }

  std::string person_name(rng &r) {
    const uint64_t roll = r.below(100);
    if (roll < 2) return std::string(r.pick(minority_parts)) + "·" + r.pick(minority_parts);
    std::string n = roll < 6 ? r.pick(compound_surnames) : r.pick(surnames);
    n += r.pick(given_chars);
    if (r.percent(70)) n += r.pick(given_chars);
    return n;
  }

  std::string rid(rng &r, const area &a, uint64_t serial) {
    std::string s = a.code;
    s += format_date(random_date(r, 1955, 2000)).erase(7, 1).erase(4, 1);
    const uint64_t seq = (serial + r.below(1000)) % 1000;
    s += static_cast<char>('0' + seq / 100);
    s += static_cast<char>('0' + seq / 10 % 10);
    s += static_cast<char>('0' + seq % 10);
    s += rid_check_char(s);
    return s;
  }

  person random_person(rng &r, const area &a, uint64_t serial) { return {person_name(r), rid(r, a, serial)}; }

  // GB 11714 organisation code: 8 characters and a check character.
  static std::string org_code(uint64_t body) {
    static const int w[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    std::string s(8, '0');
    for (int i = 7; i >= 0; --i) {
      s[i] = static_cast<char>('0' + body % 10);
      body /= 10;
    }
    int sum = 0;
    for (int i = 0; i < 8; ++i) sum += (s[i] - '0') * w[i];
    const int c = 11 - sum % 11;
    s += c == 10 ? 'X' : c == 11 ? '0' : static_cast<char>('0' + c);
    return s;
  }

  std::string uscc(const char *kind, const area &a, uint64_t body) {
    std::string s = kind;
    s += a.code;
    s += org_code(body % 100000000);
    s += uscc_check_char(s);
    return s;
  }

  // A unique organisation-code body per subject (an affine bijection mod 10^8).
  uint64_t body_for(uint64_t index, uint64_t salt) const {
    return ((index * 2 + salt) * 48271 + opt_.seed * 7919) % 100000000;
  }

  std::string address(rng &r, const area &a) {
    return std::string(a.province == std::string_view(a.city) ? "" : a.province) + a.city + a.district + r.pick(roads) +
           std::to_string(r.between(1, 999)) + "号";
  }

  // ------------------------------------------------------------ records

  struct writer {
    std::string &out;
    bool first = true;
    void key(const char *k) {
      out += first ? "" : ",";
      first = false;
      json::append_quoted(out, k);
      out += ':';
    }
    writer &str(const char *k, std::string_view v) {
      key(k);
      json::append_quoted(out, v);
      return *this;
    }
    writer &num(const char *k, int64_t v) {
      key(k);
      out += std::to_string(v);
      return *this;
    }
    writer &boolean(const char *k, bool v) {
      key(k);
      out += v ? "true" : "false";
      return *this;
    }
    writer &date(const char *k, const civil_date &d) { return str(k, format_date(d)); }
    writer &raw(const char *k, std::string_view json) {
      key(k);
      out += json;
      return *this;
    }
  };

  template <class F>
  void record(const char *type, std::string_view subject, const civil_date &as_of, F &&fill) {
    buf_ += "{\"type\":";
    json::append_quoted(buf_, type);
    buf_ += ",\"subject\":";
    json::append_quoted(buf_, subject);
    buf_ += ",\"as_of\":\"" + format_date(as_of) + "\",\"source\":\"xyd-gen\",\"data\":{";
    writer w{buf_};
    fill(w);
    buf_ += "}}\n";
    ++count_;
  }

  void company(rng &r, uint64_t index, bool risky) {
    enterprise e;
    e.where = &r.pick(areas);
    const bool individual = r.percent(10);
    e.uscc = uscc(individual ? "92" : "91", *e.where, body_for(index, 0));
    const char *industry = r.pick(industries);
    e.name = std::string(e.where->short_city) + r.pick(trade_names) + industry +
             (individual ? "经营部" : r.pick(company_forms));
    e.address = address(r, *e.where);
    e.rep = random_person(r, *e.where, index);
    e.employees = static_cast<int>(r.between(3, 400));
    const civil_date today = anchor_;

    record("legal_rep", e.uscc, today, [&](writer &w) {
      w.str("enterprise_name", e.name).str("uscc", e.uscc).str("rep_name", e.rep.name);
    });

    const int holders = static_cast<int>(r.between(1, 3));
    for (int h = 0; h < holders; ++h) {
      record("shareholder", e.uscc, today, [&](writer &w) {
        w.str("enterprise_name", e.name).str("uscc", e.uscc);
        if (h == 0) {
          w.str("holder_name", e.rep.name).str("holder_id", e.rep.rid);
        } else if (r.percent(30)) {
          const area &a = r.pick(areas);
          w.str("holder_name", std::string(a.short_city) + r.pick(trade_names) + "投资有限公司")
              .str("holder_id", uscc("91", a, body_for(index, 1 + h)));
        } else {
          person p = random_person(r, r.pick(areas), index + h);
          w.str("holder_name", p.name).str("holder_id", p.rid);
        }
        w.date("contribution_date", random_date(r, 2005, anchor_.year - 1));
      });
    }

    // Tax.
    if (r.percent(10)) {
      const int64_t amount = r.between(10000, 5000000) * 100;
      const int months = std::min(static_cast<int>(r.between(3, 12)), opt_.months);
      for (int m = months - 1; m >= 0; --m)
        record("tax.deferral", e.uscc, month_end(m), [&](writer &w) {
          w.str("enterprise_name", e.name).str("uscc", e.uscc).str("deferred_item", "增值税").str("deferred_amount", money(amount));
        });
    }
    const int arrears = risky ? static_cast<int>(r.between(1, 3)) : (r.percent(25) ? 1 : 0);
    const int first_month = static_cast<int>(r.between(1, 14));
    for (int k = 0; k < arrears; ++k) {
      const civil_date start = month_end(first_month + 3 * k);  // distinct tax periods
      const civil_date begin{start.year, start.month, 1};
      record("tax.arrears", e.uscc, today, [&](writer &w) {
        w.str("enterprise_name", e.name).str("uscc", e.uscc).str("arrears_amount", money(r.between(5000, 2000000) * 100 + r.between(0, 99)))
            .str("tax_type", tax_types[(k + r.below(tax_types.size())) % tax_types.size()])
            .date("period_start", begin).date("period_end", start);
        if (!risky || r.percent(30))
          w.date("paid_date", civil_from_days(std::min(days_from_civil(start) + r.between(20, 90), days_from_civil(anchor_))));
      });
    }
    for (int y = 2; y >= 1; --y) {
      const int year = anchor_.year - y;
      const int64_t assets = static_cast<int64_t>(e.employees) * r.between(200000, 2000000) * 100;
      const int64_t liabilities = assets * r.between(20, risky ? 95 : 70) / 100;
      const int64_t revenue = assets * r.between(50, 200) / 100;
      const int64_t profit = risky ? revenue * r.between(-20, 5) / 100 : revenue * r.between(-3, 15) / 100;
      record("tax.financials", e.uscc, {year, 12, 31}, [&](writer &w) {
        w.str("enterprise_name", e.name).str("uscc", e.uscc);
        std::string bs = "{\"period_end\":\"" + std::to_string(year) + "-12-31\",\"items\":{\"total_assets\":\"" + money(assets) +
                         "\",\"total_liabilities\":\"" + money(liabilities) + "\",\"owners_equity\":\"" + money(assets - liabilities) +
                         "\",\"current_assets\":\"" + money(assets * 45 / 100) + "\"}}";
        std::string is = "{\"period_start\":\"" + std::to_string(year) + "-01-01\",\"period_end\":\"" + std::to_string(year) +
                         "-12-31\",\"items\":{\"revenue\":\"" + money(revenue) + "\",\"net_profit\":\"" + money(profit) + "\"}}";
        w.raw("balance_sheet", bs).raw("income_statement", is);
      });
    }

    if (risky && r.percent(40)) judicial(r, e.uscc, e.name);

    // Customs.
    if (r.percent(30)) {
      record("customs.basic", e.uscc, today, [&](writer &w) {
        w.str("enterprise_name", e.name).str("uscc", e.uscc).str("customs_code", std::string(e.where->code).substr(0, 4) + std::to_string(1000000 + index % 1000000).substr(1))
            .str("industry", industry).boolean("on_dishonest_list", risky && r.percent(20))
            .date("first_export_date", random_date(r, 2008, anchor_.year - 1));
      });
      const int64_t base = r.between(10000, 3000000) * 100;
      for (int m = opt_.months - 1; m >= 0; --m)
        record("customs.duty", e.uscc, month_end(m), [&](writer &w) {
          w.str("enterprise_name", e.name).str("uscc", e.uscc).str("duty_paid_12m", money(base + r.between(-5000, 5000) * 100))
              .date("last_paid_date", civil_date{month_end(m).year, month_end(m).month, static_cast<int>(r.between(1, 28))});
        });
    }

    // Environment.
    if (r.percent(20)) {
      for (int y = 2; y >= 1; --y)
        record("env.carbon", e.uscc, {anchor_.year - y, 12, 31}, [&](writer &w) {
          w.str("enterprise_name", e.name).str("uscc", e.uscc)
              .str("co2_tonnes_last_year", decimal{r.between(1000, 500000000), 3}.to_minimal_string());
        });
      const int points = risky ? static_cast<int>(r.between(1, 20)) : 0;
      record("env.eia_credit", e.uscc, today, [&](writer &w) {
        w.str("enterprise_name", e.name).str("uscc", e.uscc).str("address", e.address);
        if (points) w.str("dishonest_conduct", "环境影响报告书（表）存在质量问题");
        w.num("dishonesty_points", points).str("credit_status", points >= 10 ? "重点监督检查" : points ? "限期整改" : "正常公开");
      });
    }

    // Social insurance: monthly snapshots over 24 months.
    int headcount = e.employees;
    std::vector<int> heads(48);
    for (int m = 47; m >= 0; --m) {
      headcount = std::max(1, headcount + static_cast<int>(r.between(-3, 3)) - (risky && r.percent(10) ? 3 : 0));
      heads[m] = headcount;
    }
    const bool gaps = risky && r.percent(60);
    for (int m = opt_.months - 1; m >= 0; --m) {
      record("social.pension", e.uscc, month_end(m), [&](writer &w) {
        const int then = heads[m + 6], now = heads[m];
        w.str("enterprise_name", e.name).str("uscc", e.uscc)
            .str("headcount_change_rate_6m", decimal{(now - then) * 1000000LL / then, 4}.to_minimal_string())
            .num("normal_payments_6m", gaps ? r.between(2, 5) : 6);
      });
      record("social.medical_change", e.uscc, month_end(m), [&](writer &w) {
        const int then = heads[m + 3], now = heads[m];
        w.str("enterprise_name", e.name).str("uscc", e.uscc)
            .str("headcount_change_rate_3m", decimal{(now - then) * 1000000LL / then, 4}.to_minimal_string())
            .str("contribution_change_rate_3m", decimal{(now - then) * 1000000LL / then + r.between(-20000, 20000), 4}.to_minimal_string());
      });
      if (gaps)
        record("social.medical_arrears", e.uscc, month_end(m), [&](writer &w) {
          w.str("enterprise_name", e.name).str("uscc", e.uscc).str("arrears_amount_24m", money(heads[m] * r.between(30000, 80000)))
              .raw("arrears_periods", "[\"" + format_month(month_end(m + 2)) + "\",\"" + format_month(month_end(m + 1)) + "\"]");
        });
    }
    // The medical-insurance record carries its own 24-month history: the
    // feed holds its last three monthly snapshots.
    const int64_t per_head = r.between(40000, 90000);
    for (int m = std::min(2, opt_.months - 1); m >= 0; --m) {
      record("social.medical", e.uscc, month_end(m), [&](writer &w) {
        std::string heads_json = "[", contrib = "[", dates = "[", periods = "[";
        for (int k = m + 23; k >= m; --k) {
          const civil_date me = month_end(k);
          const bool sep = k != m + 23;
          heads_json += std::string(sep ? "," : "") + "{\"month\":\"" + format_month(me) + "\",\"value\":" + std::to_string(heads[k]) + "}";
          contrib += std::string(sep ? "," : "") + "{\"month\":\"" + format_month(me) + "\",\"value\":\"" + money(heads[k] * per_head) + "\"}";
          dates += std::string(sep ? "," : "") + "\"" + format_date({me.year, me.month, 15}) + "\"";
          periods += std::string(sep ? "," : "") + "\"" + format_month(me) + "\"";
        }
        w.str("enterprise_name", e.name).str("uscc", e.uscc).raw("monthly_headcount_24m", heads_json + "]")
            .raw("monthly_contribution_24m", contrib + "]").raw("payment_dates_24m", dates + "]").raw("payment_periods", periods + "]")
            .str("last_normal_month", format_month(month_end(m + (gaps ? 2 : 0))));
        if (gaps) {
          const civil_date d = month_end(m + 1);
          w.raw("monthly_deferrals_24m", "[{\"month\":\"" + format_month(d) + "\",\"amount\":\"" + money(heads[m + 1] * per_head) +
                                             "\",\"date\":\"" + format_date(d) + "\"}]");
        }
      });
    }

    if (r.percent(10)) {
      const int n = static_cast<int>(r.between(1, 2));
      for (int k = 0; k < n; ++k)
        record("ip.pledge", e.uscc, today, [&](writer &w) {
          w.str("pledge_no", "Y" + std::to_string(anchor_.year - 1) + std::to_string(100000000 + (index * 7 + k) % 100000000).substr(1))
              .str("ip_name", std::string(r.pick(trade_names)) + "专利：一种" + industry + "装置").str("pledgor", e.name)
              .str("pledgee", r.pick(issuers_banks)).date("announced_date", random_date(r, anchor_.year - 3, anchor_.year));
        });
    }

    // Owner's real estate (verification channel).
    if (r.percent(40)) {
      const std::string cert = std::string(e.where->province).substr(0, 3) + "(" + std::to_string(anchor_.year - 3) + ")" +
                               e.where->short_city + "不动产权第" + std::to_string(1000000 + index % 9000000) + "号";
      const std::string unit = std::string(e.where->code) + "001001GB" + std::to_string(10000 + index % 90000) + "F00010001";
      const civil_date registered = random_date(r, 2012, anchor_.year - 1);
      record("property.owner", e.uscc, today, [&](writer &w) {
        w.str("holder_name", e.rep.name).str("holder_id", e.rep.rid).str("certificate_no", cert).str("unit_no", unit)
            .str("use", r.percent(70) ? "住宅" : "商业服务").str("location", address(r, *e.where))
            .str("area_m2", decimal{r.between(6000, 30000), 2}.to_minimal_string())
            .str("term", format_date(registered) + "起" + std::to_string(registered.year + 70) + "-12-31止")
            .str("registry", std::string(e.where->city) + "不动产登记中心").date("registered_at", registered);
      });
      if (r.percent(50))
        record("property.mortgage", e.uscc, today, [&](writer &w) {
          w.str("mortgagee", r.pick(issuers_banks)).str("mortgagee_id", uscc("91", areas[0], body_for(index, 7)))
              .str("proof_no", std::string(e.where->short_city) + "不动产证明第" + std::to_string(2000000 + index % 7000000) + "号")
              .str("unit_no", unit).str("right_type", "抵押权").str("mortgagor", e.rep.name)
              .date("registered_at", civil_from_days(std::min(days_from_civil(registered) + r.between(30, 900), days_from_civil(anchor_))));
        });
    }

    if (r.percent(30))
      record("tech.innovation", e.uscc, today, [&](writer &w) {
        const bool giant = r.percent(10), srdi = giant || r.percent(30);
        w.str("enterprise_name", e.name).str("uscc", e.uscc).boolean("little_giant", giant).boolean("srdi_sme", srdi)
            .boolean("innovative_sme", srdi || r.percent(40)).boolean("high_tech", r.percent(50)).boolean("tech_sme", r.percent(60));
      });

    if (r.percent(15)) {
      const int n = static_cast<int>(r.between(1, 3));
      for (int k = 0; k < n; ++k)
        record("public_trade", e.uscc, today, [&](writer &w) {
          const civil_date d = random_date(r, anchor_.year - 2, anchor_.year);
          w.str("enterprise_name", e.name).str("uscc", e.uscc).str("trade_type", r.percent(70) ? "工程建设" : "政府采购")
              .str("project_name", std::string(e.where->district) + r.pick(roads) + "改造项目（" + std::to_string(k + 1) + "标段）")
              .str("project_amount", money(r.between(100000, 50000000) * 100)).str("ownership", r.percent(80) ? "国有" : "集体")
              .str("url", "https://ggzy.example.gov.cn/notice/" + std::to_string(index) + "-" + std::to_string(k))
              .date("announced_date", d);
        });
    }

    if (r.percent(10))
      record("qual.construction", e.uscc, today, [&](writer &w) {
        const civil_date issued = random_date(r, anchor_.year - 4, anchor_.year - 1);
        w.str("enterprise_name", e.name).str("uscc", e.uscc).str("series", "施工总承包").str("category", "建筑工程")
            .str("grade", r.percent(30) ? "一级" : "二级").str("issuer", std::string(e.where->province) + "住房和城乡建设厅")
            .date("issued_date", issued).date("valid_until", {issued.year + 5, issued.month, std::min(issued.day, 28)});
      });
    if (r.percent(5))
      record("qual.medical", e.uscc, today, [&](writer &w) {
        w.str("enterprise_name", e.name).str("uscc", e.uscc).str("license_no", "PDY" + std::to_string(10000000 + index % 89999999))
            .str("issuer", std::string(e.where->city) + "卫生健康委员会").date("valid_until", {anchor_.year + static_cast<int>(r.between(-1, 4)), 12, 31});
      });
    if (r.percent(5))
      record("qual.education", e.uscc, today, [&](writer &w) {
        w.str("enterprise_name", e.name).str("uscc", e.uscc).str("admin_license_no", "教民" + std::to_string(100000000 + index))
            .str("training_type", "文化艺术类").str("training_content", "书法、美术").str("authority", std::string(e.where->district) + "教育局")
            .date("valid_until", {anchor_.year + static_cast<int>(r.between(0, 4)), 8, 31});
        if (risky) w.raw("penalties", "[\"超范围经营，警告\"]");
      });
    if (r.percent(8))
      record("qual.transport", e.uscc, today, [&](writer &w) {
        w.str("operator_name", e.name).str("uscc", e.uscc).str("license_no", std::string(e.where->short_city) + "交运管许可字" + std::to_string(100000 + index % 900000) + "号")
            .str("scope", "道路普通货物运输").str("issuer", std::string(e.where->district) + "交通运输局")
            .date("valid_until", {anchor_.year + static_cast<int>(r.between(0, 4)), 6, 30});
      });
    if (r.percent(5))
      record("medins.designated", e.uscc, today, [&](writer &w) {
        w.str("enterprise_name", e.name).str("uscc", e.uscc).boolean("designated", r.percent(80));
      });
    if (r.percent(3))
      record("medins.private_institution", e.uscc, today, [&](writer &w) {
        w.str("enterprise_name", e.name).str("uscc", e.uscc).str("license_no", "PDY" + std::to_string(20000000 + index % 79999999));
      });
    if (r.percent(3))
      record("medins.pharmacy", e.uscc, today, [&](writer &w) {
        w.str("enterprise_name", e.name).str("uscc", e.uscc).str("license_no", std::string("粤") + "AA" + std::to_string(1000000 + index % 8999999));
      });

    // Utilities: monthly snapshots.
    const civil_date opened = random_date(r, 2005, anchor_.year - 3);
    const int64_t capacity = r.between(50, 2000);
    const bool gas = r.percent(50);
    const bool bad_payer = risky && r.percent(60);
    int breaches = 0;
    for (int m = opt_.months - 1; m >= 0; --m) {
      if (bad_payer && r.percent(15)) ++breaches;
      const int64_t water_arrears = bad_payer && r.percent(30) ? r.between(100, 50000) * 100 : 0;
      record("utility.water", e.uscc, month_end(m), [&](writer &w) {
        w.str("enterprise_name", e.name).str("uscc", e.uscc).date("opened_date", opened).str("address", e.address)
            .str("prepaid_amount", money(water_arrears ? 0 : r.between(0, 5000) * 100)).str("arrears_amount", money(water_arrears))
            .boolean("one_meter_per_household", true);
      });
      record("utility.electricity", e.uscc, month_end(m), [&](writer &w) {
        w.str("enterprise_name", e.name).str("uscc", e.uscc).str("address", e.address)
            .str("running_capacity_kva", std::to_string(capacity * r.between(60, 100) / 100))
            .str("contract_capacity_kva", std::to_string(capacity)).date("first_supply_date", opened)
            .str("account_status", "正常").str("arrears_amount", money(bad_payer && r.percent(30) ? r.between(500, 90000) * 100 : 0))
            .num("breaches_24m", breaches);
      });
      if (gas)
        record("utility.gas", e.uscc, month_end(m), [&](writer &w) {
          w.str("enterprise_name", e.name).str("uscc", e.uscc).date("opened_date", opened).str("address", e.address)
              .str("prepaid_amount", money(r.between(0, 3000) * 100)).str("arrears_amount", money(bad_payer && r.percent(20) ? r.between(100, 20000) * 100 : 0))
              .boolean("one_meter_per_household", r.percent(90));
        });
    }

    if (r.percent(60))
      record("marital", e.uscc, today, [&](writer &w) {
        static const char *statuses[] = {"married", "married", "married", "unmarried", "divorced", "widowed"};
        w.str("rep_name", e.rep.name).str("rep_id", e.rep.rid).str("marital_status", statuses[r.below(6)]);
      });
  }

  void judicial(rng &r, const std::string &debtor_id, const std::string &debtor_name) {
    const civil_date filed = random_date(r, anchor_.year - 3, anchor_.year);
    const civil_date as_of = anchor_;
    const std::string court_no = "(" + std::to_string(filed.year) + ")京0105执" + std::to_string(r.between(100, 9999)) + "号";
    record("judicial.dishonest_debtor", debtor_id, as_of, [&](writer &w) {
      w.str("case_no", court_no).str("debtor_name", debtor_name).str("debtor_id", debtor_id)
          .str("basis_case_no", "(" + std::to_string(filed.year - 1) + ")京0105民初" + std::to_string(r.between(100, 9999)) + "号")
          .str("basis_issuer", "北京市朝阳区人民法院")
          .str("obligation", "支付货款" + std::to_string(r.between(1, 900)) + "万元及利息");
      if (r.percent(25)) w.date("revoked_date", civil_from_days(std::min(days_from_civil(filed) + r.between(60, 400), days_from_civil(anchor_))));
    });
  }

  void farmer(rng &r, uint64_t index, bool risky) {
    const area &a = r.pick(areas);
    person p = random_person(r, a, index);
    const civil_date today = anchor_;
    const char *crop = r.pick(crops);
    const std::string farm = std::string(a.district) + p.name + crop + "家庭农场";
    const int64_t mu = r.between(50, 3000);

    record("agri.basic", p.rid, today, [&](writer &w) {
      w.str("owner_name", p.name).str("id_type", "resident_id").str("id_no", p.rid);
    });
    record("agri.operation", p.rid, today, [&](writer &w) {
      w.str("farm_name", farm).str("farming_type", crop).str("farming_scale", std::to_string(mu) + "亩");
    });
    if (r.percent(50)) {
      const int n = static_cast<int>(r.between(1, 2));
      for (int k = 0; k < n; ++k)
        record("agri.land_transfer", p.rid, today, [&](writer &w) {
          w.str("transferee", p.name).str("transfer_fee", money(mu * r.between(300, 1200) * 100 / n))
              .str("land_area", decimal{mu * 100 / n, 2}.to_minimal_string())
              .str("plot_code", std::string(a.code) + std::to_string(100000 + r.below(900000)) + std::to_string(k) + "JA" + std::to_string(10000 + index % 90000));
        });
    }
    if (r.percent(60))
      record("agri.insurance", p.rid, today, [&](writer &w) {
        w.str("entity_name", farm).str("id_type", "resident_id").str("id_no", p.rid).boolean("insured", true)
            .str("insurance_type", std::string(crop) + "种植保险").str("insured_scale", std::to_string(mu) + "亩")
            .str("insured_amount", money(mu * r.between(500, 1000) * 100)).date("policy_valid_until", {anchor_.year, 12, 31});
        if (r.percent(30))
          w.raw("claims", "[{\"date\":\"" + format_date(random_date(r, anchor_.year - 1, anchor_.year)) + "\",\"amount\":\"" +
                               money(mu * r.between(50, 300) * 100) + "\",\"reason\":\"暴雨\"}]");
      });
    if (r.percent(70)) {
      const int n = static_cast<int>(r.between(1, 2));
      static const char *subsidy_types[] = {"耕地地力保护补贴", "农机购置补贴"};
      for (int k = 0; k < n; ++k)
        record("agri.subsidy", p.rid, today, [&](writer &w) {
          w.str("entity_name", farm).str("id_type", "resident_id").str("id_no", p.rid).str("subsidy_type", subsidy_types[k])
              .str("subsidy_amount", money(mu * r.between(50, 150) * 100));
        });
    }
    if (mu > 500 || r.percent(10)) record("agri.large_grower", p.rid, today, [](writer &) {});
    if (r.percent(70))
      record("property.farmhouse", p.rid, today, [&](writer &w) {
        const civil_date registered = random_date(r, 2015, anchor_.year - 1);
        w.str("holder_name", p.name).str("holder_id", p.rid)
            .str("certificate_no", std::string(a.short_city) + "不动产权第" + std::to_string(3000000 + index % 6000000) + "号")
            .str("unit_no", std::string(a.code) + "104001JC" + std::to_string(10000 + index % 90000) + "F00010001")
            .str("use", "宅基地/农村村民住宅").str("location", std::string(a.district) + std::string(r.pick(roads)).substr(0, 3) + "村" + std::to_string(r.between(1, 12)) + "组" + std::to_string(r.between(1, 99)) + "号")
            .str("area_m2", decimal{r.between(8000, 30000), 2}.to_minimal_string()).str("registry", std::string(a.city) + "不动产登记中心")
            .date("registered_at", registered);
      });
    if (risky && r.percent(40)) judicial(r, p.rid, p.name);
  }
};

}  // namespace

uint64_t generate(const options &opt, const std::function<void(std::string_view)> &sink) {
  generator g(opt, sink);
  return g.run();
}

}  // namespace xyd::gen
