import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { CACHED_CLASS, Cacheable, CacheEvict, CachePut } from './decorators.js';
import { RestashNestError } from './errors.js';

describe('the method decorators', () => {
  it('call the method itself while no cache is attached', async () => {
    class Service {
      runs = 0;
      @Cacheable({ key: 'k' })
      async value(): Promise<number> {
        return ++this.runs;
      }
    }
    const service = new Service();
    expect(await service.value()).toBe(1);
    expect(await service.value()).toBe(2);
  });

  it('keep metadata other decorators put on the method, whichever runs first', () => {
    const route = (_target: object, _key: string | symbol, descriptor: PropertyDescriptor) => {
      Reflect.defineMetadata('path', '/x', descriptor.value);
    };
    class Service {
      @Cacheable({ key: 'a' })
      @route
      a(): number {
        return 1;
      }

      @route
      @CacheEvict({ keys: ['a'] })
      b(): number {
        return 1;
      }
    }
    expect(Reflect.getMetadata('path', Service.prototype.a)).toBe('/x');
    expect(Reflect.getMetadata('path', Service.prototype.b)).toBe('/x');
    expect(Service.prototype.a.name).toBe('a');
  });

  it('mark the class so the module finds its instances, subclasses included', () => {
    class Base {
      @CachePut({ key: 'k' })
      put(): number {
        return 1;
      }
    }
    class Sub extends Base {}
    class Plain {}
    expect((Base as unknown as Record<symbol, boolean>)[CACHED_CLASS]).toBe(true);
    expect((Sub as unknown as Record<symbol, boolean>)[CACHED_CLASS]).toBe(true);
    expect((Plain as unknown as Record<symbol, boolean>)[CACHED_CLASS]).toBeUndefined();
  });

  it('refuse to decorate something that is not a method', () => {
    const decorator = Cacheable({ key: 'k' });
    expect(() => decorator({}, 'field', { value: 42 })).toThrow(RestashNestError);
    expect(() => decorator({}, 'field', { value: 42 })).toThrow(/@Cacheable\(\) decorates methods only/);
  });
});
