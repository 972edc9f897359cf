package events

import "time"

// CMQEvent is what a CMQ topic trigger sends: one or several messages, each
// handled on its own. (No document shows a CMQ queue trigger's event, and
// none can be created any more: only the topic shape is understood.)
type CMQEvent struct {
	Records []CMQRecord `json:"Records"`
}

type CMQRecord struct {
	CMQ CMQMessage `json:"CMQ"`
}

type CMQMessage struct {
	Type             string    `json:"type"`
	TopicOwner       String    `json:"topicOwner"` // a number in some events, a string in others
	TopicName        string    `json:"topicName"`
	SubscriptionName string    `json:"subscriptionName"`
	PublishTime      time.Time `json:"publishTime"`
	MsgID            string    `json:"msgId"`
	RequestID        string    `json:"requestId"`
	MsgBody          string    `json:"msgBody"`
	MsgTag           List      `json:"msgTag"` // "a,b" in some events, ["a","b"] in others
}
