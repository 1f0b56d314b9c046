package demo

import (
	"math/rand/v2"
	"strings"
)

// The word lists the generator draws names from. They are data, not user
// interface text: synthetic but plausible for southern Jiangsu.

// surnames are weighted by repetition: the national top names plus those
// common around Wuxi (钱, 顾, 华, 秦, 过, 浦, 缪, 尤).
var surnames = []rune("王王王李李李张张张刘刘陈陈陈杨杨赵黄周周吴吴徐徐孙孙胡朱朱高林何郭马罗" +
	"钱钱顾顾华华秦秦蒋蒋沈沈陆陆邹过浦缪尤许许蔡陶丁薛唐姚吕施严金费戴邵谈杭")

var givenChars = []rune("建国华明伟芳英红军平丽强敏静霞秀兰玉萍峰磊洁燕勇杰涛斌鹏娟婷雪琴云亮刚辉宇浩晨欣佳文" +
	"志海波春梅凤荣忠彬俊倩颖丹琳晓健冬新林卫德宏玲菊珍良根福兴法金妹娣芬龙雯怡")

// personName returns a two- or three-character name.
func personName(r *rand.Rand) string {
	var b strings.Builder
	b.WriteRune(pickRune(r, surnames))
	b.WriteRune(pickRune(r, givenChars))
	if r.IntN(10) < 7 {
		b.WriteRune(pickRune(r, givenChars))
	}
	return b.String()
}

// tradeName is a small shop's 字号: 阿英, 老王, 王记, 金城, 好又多.
func tradeName(r *rand.Rand) string {
	switch n := r.IntN(20); {
	case n < 4:
		return "阿" + string(pickRune(r, givenChars))
	case n < 7:
		return "老" + string(pickRune(r, surnames))
	case n < 8:
		return "小" + string(pickRune(r, givenChars))
	case n < 10:
		return string(pickRune(r, surnames)) + "记"
	case n < 13:
		return personName(r)
	case n < 17:
		return brandName(r)
	default:
		return pick(r, shopBrands)
	}
}

var shopBrands = []string{
	"好又多", "万家福", "家家乐", "惠民", "便民", "百佳", "乐购购", "邻里", "优鲜", "小确幸",
	"老地方", "好味道", "湖鲜坊", "江南人家", "锡香", "太湖", "鱼米乡", "福满园", "聚丰", "和顺",
}

var brandChars = []rune("锡华金润天嘉恒康盛鼎宏瑞裕源春禾湖蠡新永兴富荣丰泰隆昌德益鑫佳安顺和美优百万汇诚信达")

// brandName is a company's two-character 字号: 华盛, 润丰.
func brandName(r *rand.Rand) string {
	a := pickRune(r, brandChars)
	b := pickRune(r, brandChars)
	for b == a {
		b = pickRune(r, brandChars)
	}
	return string([]rune{a, b})
}

var (
	eateryTypes = []string{
		"面馆", "面馆", "面馆", "小吃店", "小吃店", "馄饨店", "快餐店", "快餐店", "饭店", "饭店", "小炒店",
		"烧烤店", "早餐店", "包子铺", "羊肉馆", "土菜馆", "饺子馆", "麻辣烫", "奶茶店", "烘焙坊", "农家乐", "鱼馆",
	}
	shopTypes = []string{
		"便利店", "便利店", "便利店", "超市", "超市", "副食品店", "烟酒店", "水果店", "粮油店", "生鲜店",
		"食品商行", "茶叶店", "调料店", "蔬菜店", "冷冻食品店", "母婴店", "熟食店", "干货店",
	}
	workshopTypes = []string{"豆腐坊", "糕团店", "酱菜坊", "米酒坊", "面条加工坊", "馒头加工坊", "炒货坊", "油坊"}
	industries    = []string{"机械", "电子", "纺织", "精密", "新材料", "汽车部件", "建材", "科技", "环保", "物流"}
)

// producers are food factories' product words with their SC food category code.
var producers = []struct{ word, sc string }{
	{"食品", "124"}, {"食品", "124"}, {"米业", "101"}, {"茶业", "114"}, {"调味品", "103"},
	{"肉制品", "104"}, {"水产食品", "122"}, {"糕点", "124"}, {"豆制品", "126"}, {"饮品", "106"},
}

var (
	townSchools  = []string{"中心小学", "实验小学", "中学", "初级中学", "中心幼儿园", "实验幼儿园", "第二小学"}
	villageUnits = []string{"小学", "幼儿园", "卫生服务站", "日间照料中心"}
)

// placeFirst and placeSecond make village, town and road names: 金桥, 杨湾.
var (
	placeFirst  = []rune("东西南北前后大小高金银石青龙凤梅桃杨柳荷华安宁丰兴盛福寿康泰祥和永长广平清秀玉云新陈钱顾")
	placeSecond = []rune("塘湾桥巷浜泾墩庄港河埭圩山墅渎里舍园坝岸头溪荡湖亭桥")
)

func placeName(r *rand.Rand) string {
	return string([]rune{pickRune(r, placeFirst), pickRune(r, placeSecond)})
}

// lane is a hamlet inside a village, used in rural addresses: 钱家湾.
func lane(r *rand.Rand) string {
	return string(pickRune(r, surnames)) + pick(r, []string{"巷", "家湾", "家桥", "家塘", "舍", "家村"})
}

var roadSuffixes = []string{"路", "路", "路", "街", "中路", "大道"}

var (
	countyPosts  = []string{"区委常委、副区长", "区市场监管局局长", "区人大常委会副主任", "区政协副主席", "区政府党组成员"}
	cityPosts    = []string{"副市长", "市市场监管局局长", "市政府副秘书长", "市人大常委会副主任", "市政协副主席"}
	townPosts    = []string{"党委书记", "镇长", "党委副书记", "副镇长", "副镇长", "党委委员", "人大主席", "纪委书记", "武装部部长"}
	streetPosts  = []string{"党工委书记", "办事处主任", "党工委副书记", "办事处副主任", "办事处副主任", "党工委委员", "人大工委主任", "纪工委书记"}
	villagePosts = []string{
		"党总支书记", "村委会主任", "党总支副书记", "村委会副主任", "村委委员", "村委委员", "网格长",
		"网格员", "网格员", "网格员", "村民小组长", "妇联主席", "食品安全协管员",
	}
	communityPosts = []string{
		"党委书记", "居委会主任", "党委副书记", "居委会副主任", "居委委员", "居委委员", "网格长",
		"网格员", "网格员", "网格员", "楼道长", "食品安全协管员",
	}
	managerPosts = []string{"食安办主任", "食安办副主任", "专职人员"}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func pickRune(r *rand.Rand, rs []rune) rune { return rs[r.IntN(len(rs))] }
