package handler

import (
	"fmt"
	"strings"

	"github.com/tencentyun/scf-go-lib/functioncontext"

	"redis-restore/internal/failure"
)

// invocationRegion is the function's region: TENCENTCLOUD_REGION, else the
// region the invocation itself carries (InvokeRequest.TencentcloudRegion,
// which scf-go-lib puts in the function context). SCF sets both; a runtime
// or a local run may set only one. Two regions that disagree are a
// misconfiguration: restoring in the wrong one is worse than not restoring.
func invocationRegion(envRegion string, fc *functioncontext.FunctionContext) (string, error) {
	invRegion := ""
	if fc != nil {
		invRegion = strings.TrimSpace(fc.TencentcloudRegion)
	}
	switch {
	case envRegion == "":
		return invRegion, nil
	case invRegion == "" || invRegion == envRegion:
		return envRegion, nil
	}
	return "", failure.E(failure.Config, failure.Code(failure.CodeInvalidConfig), failure.Field("TENCENTCLOUD_REGION"),
		fmt.Sprintf("TENCENTCLOUD_REGION is %s but the invocation came in region %s: set it to the function's region or unset it", envRegion, invRegion))
}
