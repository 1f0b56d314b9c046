package demo

import "github.com/shianbao/shianbao/internal/registry"

// Text users see: errors, and what the generated history says about itself.
const (
	msgNotEmpty  = "数据库中已有登记数据，未生成演示数据"
	msgScale     = "演示数据规模应在 0 到 %d 家主体之间"
	assignReason = "年度包保责任分工"
	officeSuffix = "食品安全委员会办公室"
)

// actorSeed marks every change the generator records.
const actorSeed registry.Actor = "seed"
