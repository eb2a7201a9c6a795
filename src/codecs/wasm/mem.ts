/**
 * Indexed loads and stores on the encoders' static scratch areas (memory.data): the element
 * arrays the TypeScript twins hold as typed arrays, here as raw pointers.
 */
@inline export function f(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}
@inline export function setF(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}
@inline export function n32(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}
@inline export function setN(p: usize, i: i32, v: i32): void {
  store<i32>(p + (<usize>i << 2), v);
}
@inline export function b(p: usize, i: i32): i32 {
  return <i32>load<u8>(p + <usize>i);
}
@inline export function setB(p: usize, i: i32, v: i32): void {
  store<u8>(p + <usize>i, <u8>v);
}
