import { describe, expect, it } from 'vitest';
import { AssertionError, assert } from './assert.js';
import { ValidationError } from './errors.js';

describe('assert', () => {
  it('passes a truthy condition and throws AssertionError on a falsy one', () => {
    expect(() => assert(1, 'never')).not.toThrow();
    expect(() => assert(0, 'broken invariant')).toThrow(new AssertionError('broken invariant'));
  });

  it('keeps programmer errors and input errors apart', () => {
    const bug = new AssertionError('x');
    const input = new ValidationError('tapId', 'missing', 'is required');
    expect([bug.name, bug instanceof ValidationError]).toEqual(['AssertionError', false]);
    expect([input.name, input.message, input instanceof AssertionError]).toEqual(['ValidationError', 'tapId: is required', false]);
  });
});
