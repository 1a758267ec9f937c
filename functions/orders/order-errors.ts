/** The orders service's own answers: named errors the layer maps to problem+json. */
import { ConflictError } from "@tenantkit/tenant-context";

/** 409: a line asks for more than the product has left. Names the product. */
export class InsufficientStockError extends ConflictError {
  readonly productId: string;

  constructor(product: { id: string; name: string; stock: number }, requested: number) {
    super(
      `Not enough stock of product '${product.name}' (${product.id}): ${requested} requested, ${product.stock} left.`,
    );
    this.productId = product.id;
  }

  override toProblem(): ReturnType<ConflictError["toProblem"]> {
    return { ...super.toProblem(), productId: this.productId };
  }
}

/** 409: the catalogue kept changing (prices, deleted products) while the order was being written. */
export class CatalogueChangedError extends ConflictError {
  constructor() {
    super("The catalogue changed while the order was being written; retry.");
  }
}

/** 409: the order is not PLACED (any more), so it cannot be cancelled. */
export class OrderNotCancellableError extends ConflictError {
  constructor(id: string) {
    super(`Order '${id}' is already cancelled.`);
  }
}
