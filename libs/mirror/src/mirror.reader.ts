import { Injectable } from '@nestjs/common';

/** Reads the mirror for the gateway's read API (being written). */
@Injectable()
export class MirrorReader {}
