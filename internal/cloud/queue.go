package cloud

import (
	"context"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tdmq "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/tdmq/v20200217"

	"redis-restore/internal/failure"
)

// tdmq is a copy of the session's TDMQ client of a region, as redis is.
func (s *Session) tdmq(region string) *common.Client {
	c := *s.cached("tdmq", region, func() *common.Client {
		c, _ := tdmq.NewClient(s.cred, region, s.profile())
		s.prepare(&c.Client)
		return &c.Client
	})
	return &c
}

// SendQueue puts one message on a CMQ queue, without delay.
func (s *Session) SendQueue(ctx context.Context, region, queue, body string) (string, error) {
	req := tdmq.NewSendCmqMsgRequest()
	req.QueueName = common.StringPtr(queue)
	req.MsgContent = common.StringPtr(body)
	req.DelaySeconds = common.Int64Ptr(0) // required by the API, even when 0
	req.SetContext(ctx)
	resp := tdmq.NewSendCmqMsgResponse()
	if err := s.call(ctx, s.tdmq(region), "SendCmqMsg", req, resp); err != nil {
		return "", err
	}
	if resp.Response == nil {
		return "", failure.E(failure.Transient, failure.Code(failure.CodeQueueError), "SendCmqMsg answered nothing")
	}
	return checkSent(resp.Response.Result, resp.Response.MsgId, "SendCmqMsg")
}

// PublishTopic publishes one message on a CMQ topic with tags.
func (s *Session) PublishTopic(ctx context.Context, region, topic, body string, tags []string) (string, error) {
	req := tdmq.NewPublishCmqMsgRequest()
	req.TopicName = common.StringPtr(topic)
	req.MsgContent = common.StringPtr(body)
	if len(tags) > 0 {
		req.MsgTag = common.StringPtrs(tags)
	}
	req.SetContext(ctx)
	resp := tdmq.NewPublishCmqMsgResponse()
	if err := s.call(ctx, s.tdmq(region), "PublishCmqMsg", req, resp); err != nil {
		return "", err
	}
	if resp.Response == nil {
		return "", failure.E(failure.Transient, failure.Code(failure.CodeQueueError), "PublishCmqMsg answered nothing")
	}
	return checkSent(resp.Response.Result, resp.Response.MsgId, "PublishCmqMsg")
}

func checkSent(result *bool, msgID *string, action string) (string, error) {
	if result != nil && !*result {
		return "", failure.E(failure.Transient, failure.Code(failure.CodeQueueError), action+" answered Result false")
	}
	return deref(msgID), nil
}
