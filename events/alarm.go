package events

import "strings"

// AlarmNotification is a Cloud Monitor alarm callback, arriving as an API
// gateway body or a CMQ message body. Several fields come as a string in one
// notification and a number in the next; String takes both.
type AlarmNotification struct {
	SessionID       string          `json:"sessionId"`
	AlertID         string          `json:"alertId,omitempty"` // = sessionId, or sessionId_<level> when tiered
	AlarmStatus     String          `json:"alarmStatus"`       // "1" firing, "0" resolved
	AlarmType       string          `json:"alarmType"`         // "metric" or "event"
	AlarmObjInfo    AlarmObjInfo    `json:"alarmObjInfo"`
	AlarmPolicyInfo AlarmPolicyInfo `json:"alarmPolicyInfo"`
	FirstOccurTime  string          `json:"firstOccurTime"` // "2006-01-02 15:04:05", China Standard Time
	DurationTime    String          `json:"durationTime"`
	RecoverTime     String          `json:"recoverTime"` // "0" until resolved
	AdditionalMsg   []any           `json:"additionalMsg,omitempty"`
}

type AlarmObjInfo struct {
	Region     string     `json:"region"`
	Namespace  string     `json:"namespace"`
	AppID      String     `json:"appId"`
	Uin        String     `json:"uin"`
	Dimensions Dimensions `json:"dimensions"`
}

type AlarmPolicyInfo struct {
	PolicyID        string          `json:"policyId"`
	PolicyType      string          `json:"policyType"`
	PolicyName      string          `json:"policyName"`
	PolicyTypeCName string          `json:"policyTypeCName"`
	Conditions      AlarmConditions `json:"conditions"`
}

type AlarmConditions struct {
	MetricName        string `json:"metricName,omitempty"`
	MetricShowName    string `json:"metricShowName,omitempty"`
	CalcType          String `json:"calcType,omitempty"`
	CalcValue         String `json:"calcValue,omitempty"`
	CurrentValue      String `json:"currentValue,omitempty"`
	Unit              string `json:"unit,omitempty"`
	Period            String `json:"period,omitempty"`
	PeriodNum         String `json:"periodNum,omitempty"`
	AlarmNotifyType   string `json:"alarmNotifyType,omitempty"`
	AlarmNotifyPeriod String `json:"alarmNotifyPeriod,omitempty"`
	EventName         string `json:"eventName,omitempty"`
	EventShowName     string `json:"eventShowName,omitempty"`
}

// Firing reports whether the alarm is firing ("1"), as opposed to resolved.
func (a *AlarmNotification) Firing() bool {
	return strings.TrimSpace(string(a.AlarmStatus)) == "1"
}

// InstanceID is the Redis instance the alarm is about, or "" when it names
// none. Only a crs- ID is a Redis instance: another product's alarm carries
// an InstanceId or unInstanceId too. A node-level object
// ("crs-xxxxxxxx##<node>") names its instance.
func (a *AlarmNotification) InstanceID() string {
	d := a.AlarmObjInfo.Dimensions
	for _, k := range instanceDimensions {
		if v := redisInstance(d[k]); v != "" {
			return v
		}
	}
	return ""
}

// What names the alarm's condition for logs and reasons: the metric or the
// event.
func (a *AlarmNotification) What() string {
	c := a.AlarmPolicyInfo.Conditions
	if c.EventName != "" {
		return "event " + c.EventName
	}
	if c.MetricName != "" {
		return "metric " + c.MetricName
	}
	return "alarm"
}

// shortRegions maps Cloud Monitor's short region names to API regions.
var shortRegions = map[string]string{
	"gz": "ap-guangzhou", "sh": "ap-shanghai", "bj": "ap-beijing",
	"cd": "ap-chengdu", "cq": "ap-chongqing", "nj": "ap-nanjing",
	"hk": "ap-hongkong", "sg": "ap-singapore", "th": "ap-bangkok",
	"jkt": "ap-jakarta", "kr": "ap-seoul", "jp": "ap-tokyo",
	"in": "ap-mumbai", "ca": "na-toronto", "usw": "na-siliconvalley",
	"use": "na-ashburn", "de": "eu-frankfurt", "sao": "sa-saopaulo",
	"shjr": "ap-shanghai-fsi", "szjr": "ap-shenzhen-fsi", "bjjr": "ap-beijing-fsi",
}

// Region is the alarm's region as an API region ("gz" becomes
// "ap-guangzhou"), or "" when the alarm names none or one we do not know.
func (a *AlarmNotification) Region() string {
	r := strings.TrimSpace(a.AlarmObjInfo.Region)
	if strings.Contains(r, "-") {
		return r
	}
	return shortRegions[r]
}
