import { describe, expect, it } from 'vitest';
import { bodyEncodingOf } from './media-type.js';

describe('bodyEncodingOf', () => {
  it.each([
    ['application/json', 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['Application/JSON;charset="UTF-8"', 'json'],
    ['application/msgpack', 'msgpack'],
    ['application/vnd.msgpack', 'msgpack'],
    ['application/x-msgpack', 'msgpack'],
  ])('%s is %s', (header, encoding) => {
    expect(bodyEncodingOf(header)).toBe(encoding);
  });

  it.each([
    [undefined],
    [''],
    ['text/plain'],
    ['application/json; charset=latin1'],
    ['application/msgpack; charset=utf-8'],
    ['application/jsonx'],
    ['multipart/form-data; boundary=x'],
  ])('%s is refused', (header) => {
    expect(bodyEncodingOf(header)).toBeUndefined();
  });
});
