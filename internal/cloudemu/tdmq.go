package cloudemu

import (
	"strconv"
	"unicode/utf8"
)

const (
	maxMsgBytes    = 1 << 20 // CMQ's message size limit
	maxTagChars    = 64
	maxDelaySecond = 3600
)

// msgContent reads MsgContent: required, not empty, at most 1 MB.
func (c *call) msgContent() string {
	body, ok := c.p.str("MsgContent")
	c.p.missing(ok, "MsgContent")
	c.p.check(body != "", "InvalidParameterValue", "the parameter MsgContent must not be empty")
	c.p.check(len(body) <= maxMsgBytes, "InvalidParameterValue", "the parameter MsgContent is %d bytes, more than the limit of %d", len(body), maxMsgBytes)
	return body
}

func (e *Emulator) newMsgID() string {
	// CMQ message ids are long decimal strings; an offset keeps them that shape.
	id := strconv.FormatInt(281474976710656+e.nextMsg, 10)
	e.nextMsg++
	return id
}

func (e *Emulator) sendCmqMsg(c *call) (any, *apiError) {
	queue, body := c.p.requiredName("QueueName"), c.msgContent()
	delay, ok := c.p.int("DelaySeconds")
	c.p.check(ok, "MissingParameter", "the request is missing the required parameter DelaySeconds (0 for no delay)")
	c.p.check(delay >= 0 && delay <= maxDelaySecond, "InvalidParameterValue", "the parameter DelaySeconds must be between 0 and %d, got %d", maxDelaySecond, delay)
	msgs, ok := e.queues[queue]
	c.p.check(ok, "ResourceNotFound", "the queue %s does not exist", queue)
	if c.p.err != nil {
		return nil, c.p.err
	}
	id := e.newMsgID()
	e.queues[queue] = append(msgs, Message{ID: id, Body: body, DelaySeconds: delay, Time: c.now, Action: c.action})
	return map[string]any{"Result": true, "MsgId": id}, nil
}

func (e *Emulator) publishCmqMsg(c *call) (any, *apiError) {
	topic, body, tags := c.p.requiredName("TopicName"), c.msgContent(), c.p.strs("MsgTag")
	for i, tag := range tags {
		n := utf8.RuneCountInString(tag)
		c.p.check(n <= maxTagChars && tag != "", "InvalidParameterValue", "the tag MsgTag.%d must have 1 to %d characters, it has %d", i, maxTagChars, n)
	}
	msgs, ok := e.topics[topic]
	c.p.check(ok, "ResourceNotFound", "the topic %s does not exist", topic)
	if c.p.err != nil {
		return nil, c.p.err
	}
	id := e.newMsgID()
	e.topics[topic] = append(msgs, Message{ID: id, Body: body, Tags: tags, Time: c.now, Action: c.action})
	return map[string]any{"Result": true, "MsgId": id}, nil
}
